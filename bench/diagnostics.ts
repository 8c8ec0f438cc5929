/**
 * Diagnostics timings: how long from a missed ping (5010) to a stored hang report (6011), and from
 * an unexpected exit (5009) to a stored crash report (6010), with real Node workers. Each figure is
 * the median of a few runs, measured on the event log's own clock, next to an anchor measured in
 * the same run: a bare `gdb -p` attach for the native path, a `node -e 0` start for the crash path.
 * PM2 has no figure here: it detects no hang at all and keeps no crash report.
 *
 * Run: node bench/diagnostics.ts            (also called by bench/run.ts through runDiagnosticsBench)
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { scratchDir } from './lib/context.ts';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/index.ts';
import { startHost, type RunningHost } from '../src/host/host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import type { PaddockEvent } from '../src/events/event-log.ts';
import { gdbPath } from '../src/diagnostics/gdb.ts';

const worker = fileURLToPath(new URL('../test/fixtures/diagnostics-worker.mjs', import.meta.url));
const RUNS = 3;

export interface DiagnosticsRow {
  readonly name: string;
  readonly value: string;
  readonly anchor: string;
  readonly target?: string;
  readonly verdict?: 'pass' | 'MISS' | 'info' | 'n/a';
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function ms(v: number): string {
  return `${Math.round(v)} ms`;
}

/** A POST the front door will not retry; resolves whatever the answer (502 once the worker dies). */
function post(port: number, path: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', timeout: 60_000, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => resolve());
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Waits for the next event `id` of the pool, and returns when it was seen (performance.now()). */
function nextEvent(host: RunningHost, id: number, timeoutMs: number): Promise<{ event: PaddockEvent; at: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no event ${id} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = host.supervisor.events.on((event) => {
      if (event.id !== id || event.pool !== 'bench') return;
      clearTimeout(timer);
      off();
      resolve({ event, at: performance.now() });
    });
  });
}

/**
 * Waits until the pool has exactly one worker, ready and healthy: a request sent while a hung worker
 * is still being killed could be routed to it and never reach the worker meant to fail.
 */
async function settled(host: RunningHost): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const workers = host.supervisor.workers('bench');
    if (workers.length === 1 && workers[0].state === 'ready' && workers[0].health === 'healthy') return;
    if (Date.now() > deadline) throw new Error(`the bench pool did not settle: ${JSON.stringify(workers)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Milliseconds from trigger event to report event, for one provoked failure. */
async function measure(host: RunningHost, path: string, trigger: number, report: number): Promise<number> {
  const port = host.bound[0].port;
  await settled(host);
  const triggered = nextEvent(host, trigger, 60_000);
  const stored = nextEvent(host, report, 60_000);
  const reply = post(port, path);
  const [t, r] = await Promise.all([triggered, stored]);
  if (r.event.level !== 'info') throw new Error(r.event.message);
  await reply;
  return r.at - t.at;
}

/** One process run to its end; resolves with its wall time in ms. */
function timed(file: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    execFile(file, args as string[], { timeout: 20_000 }, () => resolve(performance.now() - t0));
  });
}

/** A bare `gdb -p` of an idle Node process: the floor of the native hang path. */
async function gdbAnchor(): Promise<number | null> {
  if (gdbPath === null) return null;
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const took = await timed(gdbPath, ['-batch', '-nx', '-iex', 'set debuginfod enabled off', '-p', String(idle.pid), '-ex', 'thread apply all bt']);
  idle.kill('SIGKILL');
  return took;
}

async function startBenchHost(dir: string): Promise<RunningHost> {
  const file = join(dir, 'paddock.yaml');
  const text = stringify({
    dataDir: dir,
    listen: ['127.0.0.1:0'],
    admin: { socket: join(dir, 'admin.sock') },
    sites: [{ name: 'bench', hosts: ['*'], apps: [{ path: '/', pool: 'bench' }] }],
    pools: {
      bench: {
        command: ['node', worker],
        processModel: { pingInterval: '300ms', pingResponseTime: '1s', startupTimeLimit: '10s', shutdownTimeLimit: '2s' },
        startMode: 'AlwaysRunning',
        failure: { rapidFailProtection: false },
      },
    },
  });
  const parsed = parseConfig(text, file);
  if (!parsed.ok) throw new Error('bench config does not parse');
  return startHost(parsed.config, { quiet: true });
}

/** The diagnostics figures, as rows for bench/run.ts's table. */
export async function runDiagnosticsBench(): Promise<DiagnosticsRow[]> {
  const dir = scratchDir(join(tmpdir(), 'pdk-bench-diag-'));
  const host = await startBenchHost(dir);
  try {
    const hangs: number[] = [];
    const crashes: number[] = [];
    for (let i = 0; i < RUNS; i++) hangs.push(await measure(host, '/hang', EventIds.PingMissed, EventIds.HangReport));
    for (let i = 0; i < RUNS; i++) crashes.push(await measure(host, '/throw', EventIds.WorkerCrashed, EventIds.CrashReport));
    const native = gdbPath === null ? null : await measure(host, '/block-native?s=30', EventIds.PingMissed, EventIds.HangReport);
    const gdb = await gdbAnchor();
    const nodeStart = median(await Promise.all([0, 1, 2].map(() => timed(process.execPath, ['-e', '0']))));
    const hang = median(hangs);
    const crash = median(crashes);
    return [
      { name: `missed ping → hang report, busy JS loop (inspector; median of ${RUNS})`, value: ms(hang), anchor: 'PM2: no hang detection', target: '< 1000 ms', verdict: hang < 1000 ? 'pass' : 'MISS' },
      native === null
        ? { name: 'missed ping → hang report, blocked in native code (gdb)', value: 'gdb not installed', anchor: '—', verdict: 'n/a' }
        : { name: 'missed ping → hang report, blocked in native code (1 s inspector wait + gdb)', value: ms(native), anchor: `bare gdb -p attach: ${gdb === null ? '—' : ms(gdb)}`, target: '< 7000 ms (bound)', verdict: native < 7000 ? 'pass' : 'MISS' },
      { name: `unexpected exit → crash report, uncaught exception (median of ${RUNS})`, value: ms(crash), anchor: `node -e 0 start to exit: ${ms(nodeStart)}`, target: '< 1000 ms', verdict: crash < 1000 ? 'pass' : 'MISS' },
    ];
  } finally {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runDiagnosticsBench();
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`node ${process.version}, diagnostics capture times`);
  for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.value.padStart(10)}  ${(r.verdict ?? '').padEnd(4)}  anchor: ${r.anchor}`);
}
