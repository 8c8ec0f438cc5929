/**
 * The access log's cost (issue 15): front-door CPU per request with `logs.accessFormat: w3c` against
 * the same host with `off`, measured in the same run on the same worker code. The three hosts
 * (off, w3c, json) run side by side and take wrk's load in turns of one second, round after round,
 * so a neighbour's burst on a shared machine lands on every side alike; each side's figure is its
 * CPU over its requests, summed over its turns. Target: w3c ≤ 1.10× off. JSON is for information.
 * A second `off` host runs as a control: its ratio to the first is the noise the machine adds to
 * the figure (on a shared machine, often more than the 10 % measured). The access log's own CPU per
 * line, measured without load, is printed beside it: the cost without the noise.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { freePort } from './lib/http-probe.ts';
import { startPaddock, type PaddockHost } from './lib/paddock-host.ts';
import { cpuSeconds } from './lib/proc-stat.ts';
import { fmt, verdict, type Row, type SectionResult } from './lib/report.ts';
import { runWrk } from './lib/wrk.ts';

const SECTION = 'Access log';
const WARM_SECONDS = 2;
/** One turn of load per host per round. */
const TURN_SECONDS = 1;
/** Issue 15: the access log on costs at most 10 % more front-door CPU per request than off. */
const TARGET_RATIO = 1.1;
const FORMATS = ['off', 'w3c', 'json'] as const;

type Format = (typeof FORMATS)[number];
/** The sides: the three formats, and a second `off` host whose ratio to the first is the noise floor. */
const SIDES: ReadonlyArray<{ readonly label: string; readonly format: Format }> = [
  { label: 'off', format: 'off' }, { label: 'w3c', format: 'w3c' }, { label: 'json', format: 'json' }, { label: 'control', format: 'off' },
];

interface Side {
  readonly label: string;
  readonly format: Format;
  readonly host: PaddockHost;
  cpu: number;
  requests: number;
  errors: number;
  /** CPU per request of each turn, µs, for the spread. */
  readonly turns: number[];
}

function startSide(ctx: BenchContext, label: string, format: Format): Promise<PaddockHost> {
  return freePort().then((port) => startPaddock(ctx, {
    name: `access-${label}`,
    port,
    config: {
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: { hello: { command: ['node', ctx.workerFile], runtime: 'node', listen: 'unix' } },
      logs: { accessFormat: format, maxBytes: '64MB', maxFiles: 2 },
    },
  }));
}

/** One turn of load on one side, its CPU and requests added to the side's sums. */
async function turn(ctx: BenchContext, side: Side, seconds: number, counted: boolean): Promise<void> {
  const before = cpuSeconds(side.host.pid);
  const r = await runWrk(ctx.wrk as string, { url: `http://127.0.0.1:${side.host.port}/`, seconds });
  const cpu = cpuSeconds(side.host.pid) - before;
  if (!counted || r.requests === 0) return;
  side.cpu += cpu;
  side.requests += r.requests;
  side.errors += r.failed;
  side.turns.push((cpu / r.requests) * 1e6);
}

/** The median of a non-empty list. */
function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * The access log's own work, measured without wrk's noise: records made from real request bytes
 * go through an AccessLog that formats and writes them to a file, and this process's CPU time
 * (all threads, libuv's writers included) is divided by the records. This is what `w3c` adds to
 * each request over `off`, since both collect the same records and feed the same figures.
 */
async function directCost(ctx: BenchContext, format: 'w3c' | 'json'): Promise<number> {
  const { AccessLog } = await import('../src/front-door/access-log.ts');
  const { parseRequestHead } = await import('../src/front-door/http-parser.ts');
  const raw = Buffer.from('GET /hello/world HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk/4.2.0\r\nAccept: */*\r\n\r\n', 'latin1');
  const parsed = parseRequestHead(raw);
  if (parsed.kind !== 'ok') throw new Error('bench request did not parse');
  const log = new AccessLog({ file: path.join(ctx.tmp, `direct-${format}`, 'access.log'), format, includeQueryStrings: false, maxBytes: 64 * 1024 * 1024, maxFiles: 2, onError: (err) => ctx.log(`access log: ${err.message}`) });
  const n = 200_000;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    log.record({
      end: Date.now(), method: 'GET', path: parsed.head.path, target: parsed.head.target, head: parsed.head, raw,
      clientIp: '127.0.0.1', serverIp: '127.0.0.1', serverPort: 8080, pool: 'hello', worker: 'hello-1', status: 200, reason: null,
      queueMs: 0.012, ttfbMs: 0.31, totalMs: 0.42, attempts: 1, ending: 'answered',
    });
    if (i % 2000 === 1999) await log.flush();
  }
  await log.close();
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / n);
}

/** Runs the access-log figures. */
export async function runAccessLogBench(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.wrk) {
    return { rows: [{ section: SECTION, figure: 'access log cost', paddock: 'wrk not installed', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const sides: Side[] = [];
  try {
    for (const { label, format } of SIDES) sides.push({ label, format, host: await startSide(ctx, label, format), cpu: 0, requests: 0, errors: 0, turns: [] });
    for (const side of sides) await turn(ctx, side, WARM_SECONDS, false);
    const rounds = Math.max(3, Math.round(ctx.seconds / TURN_SECONDS));
    ctx.log(`access log: ${rounds} rounds of ${TURN_SECONDS} s on each of ${SIDES.map((x) => x.label).join(', ')}`);
    // The order turns each round, so no side always follows the same one.
    for (let i = 0; i < rounds; i++) {
      for (let j = 0; j < sides.length; j++) await turn(ctx, sides[(i + j) % sides.length], TURN_SECONDS, true);
    }
  } finally {
    await Promise.all(sides.map((s) => s.host.stop()));
  }
  const perRequest = (label: string): number => {
    const s = sides.find((x) => x.label === label)!;
    return s.requests === 0 ? Number.NaN : (s.cpu / s.requests) * 1e6;
  };
  const offUs = perRequest('off');
  const w3cRatio = perRequest('w3c') / offUs;
  const jsonRatio = perRequest('json') / offUs;
  const controlRatio = perRequest('control') / offUs;
  const directW3c = await directCost(ctx, 'w3c');
  const directJson = await directCost(ctx, 'json');
  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'front-door CPU per request, w3c ÷ off (turns taken in alternation)',
      paddock: Number.isFinite(w3cRatio) ? `${w3cRatio.toFixed(2)}× (${fmt(perRequest('w3c'), 'µs', 1)} vs ${fmt(offUs, 'µs', 1)})` : '—',
      anchor: `accessFormat: off ${fmt(offUs, 'µs', 1)}`,
      target: `≤ ${TARGET_RATIO.toFixed(2)}×`,
      verdict: verdict(Number.isFinite(w3cRatio) ? w3cRatio <= TARGET_RATIO : null),
    },
    {
      section: SECTION,
      figure: 'access log\'s own CPU per line, w3c (formatted and written, no load)',
      paddock: `${fmt(directW3c, 'µs', 2)} = ${((directW3c / offUs) * 100).toFixed(1)} % of off's front-door CPU per request`,
      anchor: `accessFormat: off ${fmt(offUs, 'µs', 1)}`,
      target: '≤ 10 %',
      verdict: verdict(directW3c / offUs <= TARGET_RATIO - 1),
    },
    {
      section: SECTION,
      figure: 'control: a second off host ÷ off (the noise of the figure above)',
      paddock: `${controlRatio.toFixed(2)}×`,
      anchor: `accessFormat: off ${fmt(offUs, 'µs', 1)}`,
      target: '—',
      verdict: 'info',
    },
    {
      section: SECTION,
      figure: 'json ÷ off; its own CPU per line',
      paddock: `${jsonRatio.toFixed(2)}×; ${fmt(directJson, 'µs', 2)} per line`,
      anchor: `accessFormat: off ${fmt(offUs, 'µs', 1)}`,
      target: '—',
      verdict: 'info',
    },
  ];
  const spread = (v: readonly number[]): string => `${fmt(Math.min(...v), 'µs', 1)}–${fmt(Math.max(...v), 'µs', 1)}, median ${fmt(median(v), 'µs', 1)}`;
  const details = sides.map((side) => {
    let logBytes = '';
    try {
      logBytes = `; access.log ${fmt(statSync(path.join(side.host.dataDir, 'logs', 'access.log')).size / side.requests, 'bytes', 0)}/request`;
    } catch {
      // off: no file
    }
    return `${side.label}: ${side.requests} requests in ${side.turns.length} turns, ${side.errors} failed; front CPU ${fmt(perRequest(side.label), 'µs', 2)}/request (turns ${spread(side.turns)})${logBytes}`;
  });
  for (const d of details) ctx.log(`access log: ${d}`);
  return { rows, details };
}
