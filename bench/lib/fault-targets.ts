/**
 * The two systems the fault figures compare, behind one shape: Paddock with a pool of 2 workers,
 * and PM2 in cluster mode with 2 instances, both serving the hello-world worker on a loopback port.
 * Each fault run starts a fresh one, so one fault's after-effects never leak into the next.
 */
import type { BenchContext } from './context.ts';
import { freePort, probe, waitFor } from './http-probe.ts';
import { startPaddock, type PaddockHost } from './paddock-host.ts';
import { startPm2Cluster } from './pm2.ts';

export interface FaultTarget {
  readonly name: string;
  readonly port: number;
  /** Pids of the workers serving now. */
  workerPids(): Promise<number[]>;
  /** The system's own zero-downtime replacement: `paddock recycle` or `pm2 reload`. Resolves when done. */
  recycle(): Promise<void>;
  /** Sends GET /hang: one worker answers, then spins forever. Resolves with that worker's pid. */
  hang(): Promise<number>;
  /** Facts for the details (Paddock: the events it wrote). */
  facts(): Promise<string[]>;
  stop(): Promise<string[]>;
}

/**
 * Pool settings shared by the Paddock fault runs: 2 workers, started with the host like PM2's
 * instances (an OnDemand garden grows only while requests queue, which a ready worker prevents);
 * pinging at 1 s so a hang is found.
 */
export function faultPool(ctx: BenchContext): Record<string, unknown> {
  return {
    command: ['node', ctx.workerFile],
    runtime: 'node',
    listen: 'unix',
    startMode: 'AlwaysRunning',
    processModel: { maxProcesses: 2, pingInterval: '1s', pingResponseTime: '1s', shutdownTimeLimit: '10s' },
  };
}

async function hangVia(port: number): Promise<number> {
  const r = await probe({ port, path: '/hang', timeoutMs: 5_000 });
  const m = /hanging pid (\d+)/.exec(r.body);
  if (r.status !== 200 || !m) throw Object.assign(new Error(`GET /hang answered ${r.status} ${r.body.slice(0, 80)}`), { code: 'BENCH_HANG_TRIGGER' });
  return Number(m[1]);
}

/** Counts events by id, as "5009×3, 6001×4". */
export function eventCounts(ids: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([id, n]) => `${id}×${n}`).join(', ') || 'none';
}

/** The pool's live workers as "3 (2 ready, 1 draining) of maxProcesses 2". */
export async function workersLine(host: PaddockHost, pool: string): Promise<string> {
  const [p, ws] = await Promise.all([host.pool(pool), host.workers(pool)]);
  const live = ws.filter((w) => w.state !== 'stopped');
  const states = [...new Set(live.map((w) => w.state))].map((st) => `${live.filter((w) => w.state === st).length} ${st}`);
  return `${live.length}${states.length ? ` (${states.join(', ')})` : ''} of maxProcesses ${p.maxProcesses}`;
}

/** Waits until the pool has `count` ready workers, none of them in `old`. */
export async function waitForReady(host: PaddockHost, pool: string, count: number, old: readonly number[] = [], timeoutMs = 20_000): Promise<void> {
  await waitFor(`${count} ready workers in ${pool}`, async () => {
    const ws = await host.workers(pool);
    const ready = ws.filter((w) => w.state === 'ready' && w.pid !== null && !old.includes(w.pid));
    return ready.length >= count && !ws.some((w) => w.pid !== null && old.includes(w.pid));
  }, timeoutMs, 50);
}

/** Paddock with one pool of 2 workers on a fresh host. */
export async function paddockTarget(ctx: BenchContext, name: string): Promise<FaultTarget & { host: PaddockHost }> {
  const host = await startPaddock(ctx, {
    name,
    port: await freePort(),
    config: {
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: { hello: faultPool(ctx) },
    },
  });
  const readyPids = async (): Promise<number[]> =>
    (await host.workers('hello')).filter((w) => w.state === 'ready' && w.pid !== null).map((w) => w.pid as number);
  return {
    name: 'Paddock',
    host,
    port: host.port,
    workerPids: readyPids,
    recycle: async () => {
      const old = await readyPids();
      const r = await host.cli(['recycle', 'hello']);
      if (r.code !== 0) throw Object.assign(new Error(`paddock recycle exited ${r.code}: ${r.output}`), { code: 'BENCH_RECYCLE' });
      await waitForReady(host, 'hello', Math.max(1, old.length), old);
    },
    hang: () => hangVia(host.port),
    facts: async () => {
      const events = await host.events({ pool: 'hello' });
      return [`workers after the run: ${await workersLine(host, 'hello')}`, `events of the pool: ${eventCounts(events.map((e) => e.id))}`];
    },
    stop: async () => {
      const { stragglers } = await host.stop();
      return stragglers.length ? [`workers that outlived the host (killed by the bench): ${stragglers.join(', ')}`] : [];
    },
  };
}

/** PM2 cluster mode with 2 instances. */
export async function pm2Target(ctx: BenchContext): Promise<FaultTarget> {
  const pm2 = await startPm2Cluster(ctx, await freePort(), 2);
  return {
    name: 'PM2 cluster ×2',
    port: pm2.port,
    workerPids: () => pm2.workerPids(),
    recycle: () => pm2.reload(),
    hang: () => hangVia(pm2.port),
    facts: async () => [`PM2 workers online after the run: ${(await pm2.workerPids().catch(() => [])).length}`],
    stop: async () => {
      await pm2.stop();
      return [];
    },
  };
}
