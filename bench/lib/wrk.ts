/**
 * Runs wrk and reads its report: requests/s, latency percentiles (`--latency`), requests completed
 * and the failures wrk counts. A failed request is a non-2xx/3xx answer or a socket error (connect,
 * read, write, timeout). wrk's timeout count is a sampled figure: every 2 s it counts each
 * connection whose request is older than `--timeout`, so a connection stuck for good is counted
 * once per 2 s, and a request answered after 2.5 s may or may not be.
 */
import { spawnTracked } from './children.ts';

export interface WrkErrors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly timeout: number;
}

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly errors: WrkErrors;
  readonly non2xx: number;
  /** non2xx + every socket error. */
  readonly failed: number;
  readonly raw: string;
}

export interface WrkOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections?: number;
  readonly threads?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** wrk's per-request timeout, e.g. "2s" (wrk's default). */
  readonly timeout?: string;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function toMs(value: string, unit: string): number {
  // Divide for microseconds: 700 * 0.001 is 0.7000000000000001 in binary floating point.
  return unit === 'us' ? Number(value) / 1000 : Number(value) * (UNIT_MS[unit] ?? NaN);
}

function latency(raw: string, re: RegExp): number | null {
  const m = re.exec(raw);
  return m ? toMs(m[1], m[2]) : null;
}

/** Parses wrk's text report. Throws BENCH_WRK_OUTPUT when it holds no request count. */
export function parseWrk(raw: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m|h)/.exec(raw);
  if (!total) throw Object.assign(new Error(`wrk printed no result:\n${raw}`), { code: 'BENCH_WRK_OUTPUT' });
  const requests = Number(total[1]);
  const seconds = toMs(total[2], total[3]) / 1000;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const errors: WrkErrors = sock
    ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0);
  const rpsMatch = /Requests\/sec:\s+([\d.]+)/.exec(raw);
  return {
    requests,
    seconds,
    rps: rpsMatch ? Number(rpsMatch[1]) : requests / seconds,
    p50Ms: latency(raw, /^\s+50%\s+([\d.]+)(us|ms|s|m|h)/m),
    p99Ms: latency(raw, /^\s+99%\s+([\d.]+)(us|ms|s|m|h)/m),
    maxMs: latency(raw, /^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m|h)/m),
    errors,
    non2xx,
    failed: non2xx + errors.connect + errors.read + errors.write + errors.timeout,
    raw,
  };
}

/** Runs `wrk -t1 -c64 --latency` (by default) and parses its report. */
export async function runWrk(wrk: string, options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections ?? 64}`,
    `-d${Math.max(1, Math.round(options.seconds))}s`,
    '--latency',
  ];
  if (options.timeout) args.push('--timeout', options.timeout);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(options.url);
  const child = spawnTracked('wrk', wrk, args, { captureStdout: true });
  let out = '';
  child.proc.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  await child.exited;
  return parseWrk(out);
}

/** One line that names every failure wrk counted, for the details of a figure. */
export function describeFailures(r: WrkResult): string {
  const e = r.errors;
  return `${r.failed} failed of ${r.requests} (non-2xx ${r.non2xx}, connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}); max latency ${r.maxMs?.toFixed(1) ?? '?'} ms`;
}
