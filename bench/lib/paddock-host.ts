/**
 * Runs Paddock the way an operator does: `paddock run --config FILE` as its own process (so its CPU
 * and memory can be read from /proc), driven through the admin socket and the CLI. A fresh host
 * per measurement; `stop()` drains it with SIGTERM and reports any worker that outlived it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { stringify } from 'yaml';
import type { PoolSnapshot, WorkerSnapshot } from '../../src/admin/host-control.ts';
import type { PaddockEvent } from '../../src/events/event-log.ts';
import { spawnTracked, stopChild, taggedPids, type Child } from './children.ts';
import { waitFor } from './http-probe.ts';
import type { BenchContext } from './context.ts';

export interface PaddockHost {
  readonly child: Child;
  readonly pid: number;
  readonly configFile: string;
  readonly dataDir: string;
  readonly adminSocket: string;
  readonly logFile: string;
  /** Front-door port. */
  readonly port: number;
  /** Milliseconds from spawn to the admin API's `/health` answering. */
  readonly startMs: number;
  admin<T>(method: 'GET' | 'POST', urlPath: string): Promise<T>;
  workers(pool?: string): Promise<WorkerSnapshot[]>;
  pool(name: string): Promise<PoolSnapshot>;
  events(query?: Readonly<Record<string, string | number>>): Promise<PaddockEvent[]>;
  /** Runs `paddock ARGS --config FILE` and resolves with its exit code and output. */
  cli(args: readonly string[]): Promise<{ code: number | string; output: string }>;
  /** SIGTERM, drain, exit; SIGKILL after the grace. Returns the pids of workers left alive (then killed). */
  stop(): Promise<{ stragglers: number[] }>;
}

export interface HostSpec {
  /** Folder name under the run's scratch folder. */
  readonly name: string;
  readonly port: number;
  /** The config without `dataDir` and `listen`, which the bench sets. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly startTimeoutMs?: number;
  /** Extra Node options for the host process alone (e.g. `--cpu-prof`), not for its workers. */
  readonly nodeArgs?: readonly string[];
}

/** Writes a Paddock YAML config. */
export function writeConfig(file: string, config: Readonly<Record<string, unknown>>): void {
  writeFileSync(file, stringify(config, { lineWidth: 0 }));
}

/** The whole config file for a spec: its own dataDir and listen on the given port. */
export function fullConfig(dir: string, spec: HostSpec): Record<string, unknown> {
  return { dataDir: path.join(dir, 'data'), listen: [`127.0.0.1:${spec.port}`], ...spec.config };
}

function adminCall<T>(socketPath: string, method: string, urlPath: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, method, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400) {
          reject(Object.assign(new Error(`admin ${method} ${urlPath}: ${res.statusCode} ${body}`), { code: 'BENCH_ADMIN' }));
          return;
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`admin ${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Why a host of `spec.name` did not start, in one line: the error, then the last lines of the
 * host's own log (where `paddock run` writes the reason it refused to start).
 */
export function startFailure(ctx: BenchContext, name: string, err: unknown): string {
  const e = err as Error & { code?: string };
  const logFile = path.join(ctx.tmp, name, 'host.log');
  const tail = existsSync(logFile)
    ? readFileSync(logFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' / ')
    : '';
  return `${e.code ?? 'Error'}: ${String(e.message).split('\n')[0]}${tail ? `; host log: ${tail.slice(0, 400)}` : ''}`;
}

/** Starts a Paddock host and waits until its admin API answers `/health`. */
export async function startPaddock(ctx: BenchContext, spec: HostSpec): Promise<PaddockHost> {
  const dir = path.join(ctx.tmp, spec.name);
  mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'paddock.yaml');
  const config = fullConfig(dir, spec);
  writeConfig(configFile, config);
  const dataDir = String(config.dataDir);
  const adminSocket = path.join(dataDir, 'admin.sock');
  const logFile = path.join(dir, 'host.log');
  const cliMain = path.join(ctx.root, 'src/cli/main.ts');
  const t0 = performance.now();
  const child = spawnTracked(`paddock ${spec.name}`, process.execPath, [...(spec.nodeArgs ?? []), cliMain, 'run', '--config', configFile], { logFile, cwd: ctx.root });
  const admin = <T>(method: 'GET' | 'POST', urlPath: string): Promise<T> => adminCall<T>(adminSocket, method, urlPath);
  try {
    // waitFor takes a throw for "not yet": a host that exited ends the wait by answering true.
    await waitFor(`paddock ${spec.name} /health`, async () => {
      if (child.hasExited()) return true;
      await admin('GET', '/health');
      return true;
    }, spec.startTimeoutMs ?? 30_000, 5);
    if (child.hasExited()) throw Object.assign(new Error(`paddock exited at start; see ${logFile}`), { code: 'BENCH_HOST_EXIT' });
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    throw err;
  }
  const startMs = performance.now() - t0;
  return {
    child,
    pid: child.pid,
    configFile,
    dataDir,
    adminSocket,
    logFile,
    port: spec.port,
    startMs,
    admin,
    workers: (pool) => admin<WorkerSnapshot[]>('GET', `/api/workers${pool ? `?pool=${encodeURIComponent(pool)}` : ''}`),
    pool: (name) => admin<PoolSnapshot>('GET', `/api/pools/${encodeURIComponent(name)}`),
    events: (query = {}) => {
      const qs = new URLSearchParams(Object.entries({ limit: 10_000, ...query }).map(([k, v]) => [k, String(v)]));
      return admin<PaddockEvent[]>('GET', `/api/events?${qs}`);
    },
    cli: async (args) => {
      const c = spawnTracked('paddock cli', process.execPath, [cliMain, ...args, '--config', configFile], { captureStdout: true, cwd: ctx.root });
      let output = '';
      c.proc.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
      return { code: await c.exited, output };
    },
    stop: async () => {
      await stopChild(child, 'SIGTERM', 30_000);
      // A worker must not outlive its host (DESIGN §4); give the kernel a moment to reap them.
      let left: number[] = [];
      await waitFor('workers to exit with their host', () => {
        left = taggedPids('PADDOCK_POOL');
        return left.length === 0;
      }, 3_000, 50).catch(() => undefined);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      return { stragglers: left };
    },
  };
}
