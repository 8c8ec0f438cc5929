/**
 * Scenario-test harness: a real host (in this process) with a config written to a temp folder,
 * real workers from test/fixtures, real sockets. Plus small helpers to wait with deadlines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request as httpRequest, Agent } from 'node:http';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/index.ts';
import { formatConfigError } from '../../src/config/index.ts';
import { startHost, type RunningHost } from '../../src/host/host.ts';
import type { PaddockEvent } from '../../src/events/event-log.ts';

export const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const helloCommand = ['node', join(fixtures, 'hello.mjs')];
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface TestHost {
  readonly dir: string;
  readonly port: number;
  readonly url: string;
  readonly host: RunningHost;
  readonly configFile: string;
  /** Events so far, optionally of one id. */
  events(id?: number, pool?: string): PaddockEvent[];
  /** Waits until an event with `id` (and pool) exists; returns it. */
  waitForEvent(id: number, pool?: string, timeoutMs?: number, count?: number): Promise<PaddockEvent>;
  /** Rewrites the config file (for reloads). */
  writeConfig(config: Record<string, unknown>): void;
  stop(): Promise<void>;
}

/** Starts a host on 127.0.0.1:0 with `config` (dataDir, listen and admin are filled in). */
export async function startTestHost(config: Record<string, unknown>, options: Omit<NonNullable<Parameters<typeof startHost>[1]>, 'quiet'> = {}): Promise<TestHost> {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-'));
  const configFile = join(dir, 'paddock.yaml');
  const full = { dataDir: dir, listen: ['127.0.0.1:0'], admin: { socket: join(dir, 'admin.sock') }, ...config };
  const text = stringify(full);
  writeFileSync(configFile, text);
  const parsed = parseConfig(text, configFile);
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => formatConfigError(e, configFile)).join('\n'));
  const host = await startHost(parsed.config, { ...options, quiet: true });
  const port = host.bound[0].port;
  const events = host.supervisor.events;
  let stopped = false;
  return {
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    host,
    configFile,
    events: (id, pool) => events.query({ id, pool, limit: 10_000 }),
    waitForEvent: async (id, pool, timeoutMs = 15_000, count = 1) => {
      const found = await waitFor(() => {
        const list = events.query({ id, pool, limit: 10_000 });
        return list.length >= count ? list[count - 1] : null;
      }, timeoutMs, `event ${id}${pool ? ` of pool ${pool}` : ''}${count > 1 ? ` ×${count}` : ''}`);
      return found;
    },
    writeConfig: (c) => writeFileSync(configFile, stringify({ dataDir: dir, listen: ['127.0.0.1:0'], admin: { socket: join(dir, 'admin.sock') }, ...c })),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Every scenario ends by checking the pools' invariants (Pool.verifyInvariants).
      let broken: Error | null = null;
      for (const pool of host.supervisor.poolMap.values()) {
        try {
          pool.verifyInvariants();
        } catch (err) {
          broken ??= err as Error;
        }
      }
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
      if (broken) throw broken;
    },
  };
}

/** Polls `fn` every 20 ms until it returns a value other than null/false, or fails after `timeoutMs`. */
export async function waitFor<T>(fn: () => T | null | false | undefined | Promise<T | null | false | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== false && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request with node:http; `agent` lets a test keep a connection alive across requests. */
export function get(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: Agent; timeoutMs?: number } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent, timeout: options.timeoutMs ?? 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Continuous load: `concurrency` keep-alive loops of GETs until stop() is called. Counts every
 * outcome; a failure is any status other than 200 or any connection error.
 */
export function load(url: string, concurrency = 4): { stop(): Promise<{ ok: number; failed: number; failures: string[]; byPid: Map<number, number> }> } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let running = true;
  let ok = 0;
  let failed = 0;
  const byPid = new Map<number, number>();
  const failures: string[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const r = await get(url, { agent });
        if (r.status === 200) {
          ok++;
          // The fixtures name their pid in every answer: count which worker served what.
          const pid = /pid (\d+)/.exec(r.body);
          if (pid) byPid.set(Number(pid[1]), (byPid.get(Number(pid[1])) ?? 0) + 1);
        } else {
          failed++;
          if (failures.length < 20) failures.push(`${r.status} ${r.body.slice(0, 100)}`);
        }
      } catch (err) {
        failed++;
        if (failures.length < 20) failures.push((err as Error).message);
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { ok, failed, failures, byPid };
    },
  };
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A pool config running the hello fixture, with quick limits for tests. */
export function helloPool(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { processModel, ...rest } = overrides as { processModel?: Record<string, unknown> };
  return {
    command: helloCommand,
    processModel: { startupTimeLimit: '10s', shutdownTimeLimit: '5s', ...(processModel ?? {}) },
    ...rest,
  };
}

/** One site routing "/" to `pool` for any host. */
export function oneSite(pool: string, extra: Array<{ path: string; pool: string }> = []): Array<Record<string, unknown>> {
  return [{ name: 'main', hosts: ['*'], apps: [{ path: '/', pool }, ...extra] }];
}
