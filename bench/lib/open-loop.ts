/**
 * An open-loop load generator: requests are sent at a fixed rate whatever the answers do, the way
 * clients keep arriving at an overloaded site (a closed loop like wrk slows down with its server
 * and never overloads it). Each request is recorded with its status and latency from when it was
 * due, so a client's own wait for a socket counts too.
 */
import http from 'node:http';

export interface OpenLoopResult {
  readonly sent: number;
  /** By status ("200", "503"), or by error code for a socket error or timeout. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Latencies in ms of the requests answered 200, sorted. */
  readonly admittedMs: readonly number[];
}

export interface OpenLoopOptions {
  readonly port: number;
  readonly path?: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  /** A request not answered within this counts as an error. Default 10 s. */
  readonly timeoutMs?: number;
}

/** Sends `ratePerSecond` requests for `seconds`, then waits for the last answers. */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const outcomes: Record<string, number> = {};
  const admitted: number[] = [];
  const pending = new Set<Promise<void>>();
  const count = (k: string): void => void (outcomes[k] = (outcomes[k] ?? 0) + 1);
  const one = (due: number): Promise<void> => new Promise<void>((resolve) => {
    const req = http.request({ port: options.port, host: '127.0.0.1', path: options.path ?? '/', agent, timeout: options.timeoutMs ?? 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = String(res.statusCode ?? 0);
        count(status);
        if (status === '200') admitted.push(performance.now() - due);
        resolve();
      });
      res.on('error', () => {
        count('responseError');
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      count(err.code ?? 'error');
      resolve();
    });
    req.end();
  });
  const start = performance.now();
  const total = Math.round(options.ratePerSecond * options.seconds);
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Every request due by now goes out now: the rate holds even when a tick comes late.
    while (sent < total && start + (sent * 1000) / options.ratePerSecond <= now) {
      const p = one(start + (sent * 1000) / options.ratePerSecond);
      pending.add(p);
      void p.then(() => pending.delete(p));
      sent++;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  agent.destroy();
  admitted.sort((a, b) => a - b);
  return { sent, outcomes, admittedMs: admitted };
}

/** The q-quantile (0..1) of sorted values, or null when there are none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
