/**
 * Small HTTP and socket probes: readiness waits, one-off requests with their latency, and a free
 * loopback port. Every wait has a limit and fails with BENCH_TIMEOUT naming what it waited for.
 */
import http from 'node:http';
import net from 'node:net';

export interface ProbeResponse {
  readonly status: number;
  readonly body: string;
  /** Time from sending to the last byte of the answer, in milliseconds. */
  readonly ms: number;
}

export interface ProbeRequest {
  readonly port?: number;
  readonly socketPath?: string;
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** `false` (the default): a fresh connection, closed after the answer. */
  readonly agent?: http.Agent | false;
  readonly timeoutMs?: number;
}

/** Sends one request and resolves with status, body and latency; rejects on a socket error or timeout. */
export function probe(req: ProbeRequest): Promise<ProbeResponse> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const r = http.request(
      {
        host: '127.0.0.1',
        port: req.port,
        socketPath: req.socketPath,
        path: req.path ?? '/',
        method: req.method ?? 'GET',
        headers: req.headers,
        agent: req.agent ?? false,
        timeout: req.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (body += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - start }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error('request timed out'), { code: 'BENCH_REQUEST_TIMEOUT' })));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Resolves true when something accepts a connection on the port or socket path. */
export function accepting(target: { port: number } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const s = 'port' in target ? net.connect(target.port, '127.0.0.1') : net.connect(target.path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls `check` every `intervalMs` until it returns true; throws BENCH_TIMEOUT after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, intervalMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw Object.assign(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`), { code: 'BENCH_TIMEOUT' });
    await sleep(intervalMs);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The median of a list of numbers (NaN for an empty list). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
