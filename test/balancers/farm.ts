/**
 * A farm on loopback: Paddock hosts run as operators run them (`paddock run --config FILE`, each
 * its own process, so a drained host can exit on its own), HAProxy in front with the
 * configuration `paddock lb haproxy` prints, and HAProxy's stats socket to read each server's
 * state. Every host serves the same pools: `good` (the hello fixture), and `bad` and `bad4`, whose
 * workers exit with code 3 soon after they start while their crash marker exists, so one `touch`
 * and a kill turn the pool into a crash loop that rapid-fail protection stops. `bad` answers 503
 * once stopped (HttpLevel), `bad4` resets (TcpLevel). Two HAProxies front the hosts: one in http
 * mode, one in tcp mode (layer 4). Used by test/balancers.test.ts and by bench/balancers.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const HAPROXY = '/usr/sbin/haproxy';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cliMain = join(repoRoot, 'src/cli/main.ts');
const fixtures = join(repoRoot, 'test/fixtures');

/** Every process a farm started and has not seen exit: none may outlive the test or bench that made it. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Why a farm cannot run here, or null when it can. */
export function farmUnavailable(): string | null {
  return existsSync(HAPROXY) ? null : `${HAPROXY} is not installed (Debian package haproxy; .ci/run installs it)`;
}

/** `n` free loopback ports; `consecutive` ones when asked (tcp mode gives each pool the next port). */
export async function freePorts(n: number, consecutive = false): Promise<number[]> {
  const takes = (port: number): Promise<boolean> => new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: n }, (_, i) => (consecutive ? base + i : base + i * 7));
    if ((await Promise.all(ports.map(takes))).every(Boolean)) return ports;
  }
  throw new Error('no free loopback ports');
}

export interface FarmHostOptions {
  readonly name: string;
  readonly dir: string;
  readonly port: number;
  readonly healthPort: number;
  readonly drain?: { readonly idleTime: string; readonly timeLimit: string };
}

/** The farm's pools: `good`, and two that crash-loop on demand — `bad` answers 503 once stopped (HttpLevel), `bad4` resets (TcpLevel). */
export type FarmPool = 'good' | 'bad' | 'bad4';
export const FARM_POOLS: readonly FarmPool[] = ['good', 'bad', 'bad4'];

/** One Paddock host of the farm, as a process. */
export interface FarmHost {
  readonly name: string;
  readonly port: number;
  readonly healthPort: number;
  readonly configFile: string;
  readonly adminSocket: string;
  /** While it exists, the pool's workers exit with code 3 soon after they start. */
  crashMarker(pool: 'bad' | 'bad4'): string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) once the host process has exited. */
  readonly exited: Promise<number | string>;
  admin<T = unknown>(method: 'GET' | 'POST', path: string): Promise<T>;
  stop(): Promise<void>;
}

/** The config every host of the farm runs (its own ports, dataDir and markers). */
export function farmHostConfig(o: FarmHostOptions): Record<string, unknown> {
  const quick = { startupTimeLimit: '10s', shutdownTimeLimit: '3s' };
  const crashing = (pool: string, capabilities: string): Record<string, unknown> => ({
    command: ['node', join(fixtures, 'crash-after-start.mjs')],
    env: { CRASH_MARKER: join(o.dir, `crash-marker-${pool}`) },
    startMode: 'AlwaysRunning',
    processModel: quick,
    failure: { rapidFailProtectionMaxCrashes: 3, rapidFailProtectionInterval: '1m', loadBalancerCapabilities: capabilities },
  });
  return {
    dataDir: join(o.dir, 'data'),
    listen: [`127.0.0.1:${o.port}`],
    health: { listen: `127.0.0.1:${o.healthPort}` },
    drain: o.drain ?? { idleTime: '600ms', timeLimit: '15s' },
    sites: [{ name: 'farm', hosts: ['*'], apps: FARM_POOLS.map((p) => ({ path: `/${p}`, pool: p })) }],
    pools: {
      good: { command: ['node', join(fixtures, 'hello.mjs')], startMode: 'AlwaysRunning', processModel: quick },
      bad: crashing('bad', 'HttpLevel'),
      bad4: crashing('bad4', 'TcpLevel'),
    },
  };
}

function adminCall<T>(socketPath: string, method: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400) return reject(new Error(`${method} ${path}: ${res.statusCode} ${body}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `fn` until it returns something other than null/false; fails after `ms` naming `what`. */
export async function until<T>(what: string, ms: number, fn: () => Promise<T | null | false> | T | null | false, every = 20): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Starts one host and waits until its pools' workers are ready. */
export async function startFarmHost(o: FarmHostOptions): Promise<FarmHost> {
  mkdirSync(o.dir, { recursive: true });
  const configFile = join(o.dir, 'paddock.yaml');
  writeFileSync(configFile, stringify(farmHostConfig(o)));
  const adminSocket = join(o.dir, 'data', 'admin.sock');
  const log = openSync(join(o.dir, 'host.log'), 'a');
  const child = track(spawn(process.execPath, [cliMain, 'run', '--config', configFile], { stdio: ['ignore', log, log] }));
  closeSync(log);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let gone = false;
  void exited.then(() => (gone = true));
  const admin = <T>(method: 'GET' | 'POST', path: string): Promise<T> => adminCall<T>(adminSocket, method, path);
  const host: FarmHost = {
    name: o.name, port: o.port, healthPort: o.healthPort, configFile, adminSocket, child, exited, admin,
    crashMarker: (pool) => join(o.dir, `crash-marker-${pool}`),
    stop: async () => {
      if (gone) return;
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(late);
    },
  };
  try {
    // Generous: on a machine shared with other test runs a host and its workers can take long to start.
    await until(`host ${o.name}'s workers`, 60_000, async () => {
      if (gone) throw new Error(`host ${o.name} exited at start; see ${join(o.dir, 'host.log')}`);
      const workers = await admin<Array<{ pool: string; state: string }>>('GET', '/api/workers');
      return FARM_POOLS.every((p) => workers.some((w) => w.pool === p && w.state === 'ready'));
    }, 50);
  } catch (err) {
    await host.stop();
    throw err;
  }
  return host;
}

/** The pid of a pool's ready worker on `host`. */
export async function readyPid(host: FarmHost, pool: string): Promise<number> {
  const workers = await host.admin<Array<{ pool: string; state: string; pid: number | null }>>('GET', `/api/workers?pool=${pool}`);
  const w = workers.find((x) => x.state === 'ready' && x.pid !== null);
  if (!w) throw new Error(`no ready worker of ${pool} on host ${host.name}`);
  return w.pid!;
}

export interface Haproxy {
  readonly child: ChildProcess;
  /** Server status by "backend/server": "UP", "DOWN", "NOLB", … (HAProxy's `show stat`). */
  states(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** `paddock lb haproxy ARGS --config FILE`: the configuration text, or a thrown error with stderr. */
export function generateHaproxyConfig(configFile: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, 'lb', 'haproxy', ...args, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`paddock lb haproxy exited ${code}: ${err}`))));
  });
}

/** Runs HAProxy with `configText` (a stats socket is added) and waits until every server is UP. */
export async function startHaproxy(dir: string, name: string, configText: string): Promise<Haproxy> {
  const statsSocket = join(dir, `${name}-stats.sock`);
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, configText.replace(/^global\n/m, `global\n  stats socket ${statsSocket} mode 600 level admin\n`));
  const log = openSync(join(dir, `${name}.log`), 'a');
  const child = track(spawn(HAPROXY, ['-f', file, '-db'], { stdio: ['ignore', log, log] }));
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const states = (): Promise<Record<string, string>> => new Promise((resolve, reject) => {
    const s = netConnect(statsSocket);
    let text = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write('show stat\n'));
    s.on('data', (c: string) => (text += c));
    s.on('error', reject);
    s.on('end', () => {
      const [header, ...rows] = text.trim().split('\n');
      const cols = header.replace(/^# /, '').split(',');
      const at = (name: string): number => cols.indexOf(name);
      const out: Record<string, string> = {};
      for (const row of rows) {
        const f = row.split(',');
        if (f[at('svname')] === 'FRONTEND' || f[at('svname')] === 'BACKEND') continue;
        out[`${f[at('pxname')]}/${f[at('svname')]}`] = f[at('status')];
      }
      resolve(out);
    });
  });
  const hap: Haproxy = {
    child,
    states,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await until('HAProxy to see every server UP', 15_000, async () => {
      const s = await states();
      return Object.keys(s).length > 0 && Object.values(s).every((v) => v === 'UP');
    }, 50);
  } catch (err) {
    await hap.stop();
    throw err;
  }
  return hap;
}
