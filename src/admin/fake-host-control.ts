/**
 * A HostControl without a host, for the admin API's and the CLI's tests: two pools with fixed
 * figures, commands that change their state and write the IIS events a host writes (5059, 5060,
 * 5079), and a real EventLog. Not used by the host.
 */
import type { HistorySnapshot } from './observe/history.ts';
import { AdminError, type FrontDoorReport, type HostControl, type IsolationReport, type PoolSnapshot, type ReloadResult, type WorkerSnapshot } from './host-control.ts';
import type { EventLog } from '../events/event-log.ts';
import type { CrashBucket, CrashReport, NextCrashState } from '../diagnostics/report-types.ts';

type MutablePool = { -readonly [K in keyof PoolSnapshot]: PoolSnapshot[K] };

function worker(pool: string, id: string, pid: number): WorkerSnapshot {
  return {
    pool, id, pid, state: 'ready', health: 'healthy', startedAt: '2025-01-31T10:00:00.000Z',
    requests: 42, inFlight: 1, rssBytes: 50 * 1024 * 1024, cpuSeconds: 1.5,
  };
}

/** A pool whose name is this makes `pool()` throw a plain Error: the API must answer 500 and go on. */
export const BROKEN_POOL = 'broken';

/** The fake; `calls` records every command, `reloadResult` is what `reload()` answers. */
export class FakeHostControl implements HostControl {
  readonly startedAt = '2025-01-31T09:00:00.000Z';
  readonly dataDir: string;
  readonly events: EventLog;
  readonly calls: string[] = [];
  reloadResult: ReloadResult = { ok: true, added: ['new'], removed: [], changed: ['web'], applied: ['pools.new (added)', 'pools.web.queueLength'], waitsForRestart: [] };
  readonly logFiles = new Map<string, string>();
  readonly #pools = new Map<string, MutablePool>();

  constructor(dataDir: string, events: EventLog) {
    this.dataDir = dataDir;
    this.events = events;
    const base = { startMode: 'OnDemand', queueLength: 1000, queued: 0, requests: 84, refused: {}, recentFailures: 0, startFailures: 0 };
    this.#pools.set('web', {
      ...base, name: 'web', state: 'started', stopReason: null, maxProcesses: 2, inFlight: 2,
      workers: [worker('web', 'w1', 4101), worker('web', 'w2', 4102)], available: true,
    });
    this.#pools.set('api', {
      ...base, name: 'api', state: 'stopped', stopReason: 'rapidFail', maxProcesses: 1, inFlight: 0,
      requests: 7, refused: { AppOffline: 3 }, recentFailures: 5, workers: [], available: false,
    });
  }

  #get(name: string): MutablePool {
    if (name === BROKEN_POOL) throw new Error('snapshot failed');
    const p = this.#pools.get(name);
    if (!p) throw new AdminError('NotFound', `pool '${name}' not found`);
    return p;
  }

  pools(): PoolSnapshot[] {
    return [...this.#pools.values()].map((p) => ({ ...p }));
  }

  pool(name: string): PoolSnapshot {
    return { ...this.#get(name) };
  }

  workers(pool?: string): WorkerSnapshot[] {
    return this.pools().filter((p) => pool === undefined || p.name === pool).flatMap((p) => p.workers);
  }

  async startPool(name: string): Promise<void> {
    const p = this.#get(name);
    this.calls.push(`start ${name}`);
    const workers = Array.from({ length: p.maxProcesses }, (_, i) => worker(name, `w${i + 1}`, 4101 + i));
    Object.assign(p, { state: 'started', stopReason: null, available: true, workers });
    this.events.write({ id: 5060, pool: name, message: `pool '${name}' started by an administrator` });
  }

  async stopPool(name: string): Promise<void> {
    const p = this.#get(name);
    this.calls.push(`stop ${name}`);
    Object.assign(p, { state: 'stopped', stopReason: 'admin', available: false, workers: [] });
    this.events.write({ id: 5059, pool: name, message: `pool '${name}' stopped by an administrator` });
  }

  async recyclePool(name: string): Promise<void> {
    const p = this.#get(name);
    if (p.state !== 'started') throw new AdminError('Conflict', `pool '${name}' is ${p.state}; start it first`);
    this.calls.push(`recycle ${name}`);
    this.events.write({ id: 5079, pool: name, message: `pool '${name}' recycled by an administrator` });
  }

  async reload(): Promise<ReloadResult> {
    this.calls.push('reload');
    return this.reloadResult;
  }

  frontDoorLoad(): FrontDoorReport {
    return { connections: 3, threads: [{ thread: 0, connections: 2, inFlight: 1, requests: 40, restarts: 0 }, { thread: 1, connections: 1, inFlight: 0, requests: 2, restarts: 1 }] };
  }

  isolation(): IsolationReport {
    return { enabled: true, layout: 'v2', description: 'cgroup v2 at /sys/fs/cgroup', reason: null, hostCgroups: { unified: '/system.slice/paddock.service' }, root: ['/sys/fs/cgroup/system.slice/paddock.service/paddock/0000-1-1'], owner: '0000-1-1' };
  }

  async metrics(): Promise<string> {
    return '# HELP paddock_pool_requests_total Requests\n# TYPE paddock_pool_requests_total counter\npaddock_pool_requests_total{pool="web"} 84\n';
  }

  history(pool?: string): HistorySnapshot {
    if (pool !== undefined) this.#get(pool);
    return { intervalMs: 5000, spanMs: 3_600_000, pools: {}, marks: [] };
  }

  logFile(pool: string): string {
    this.#get(pool);
    return this.logFiles.get(pool) ?? `${this.dataDir}/logs/${pool}.log`;
  }

  crashes(_pool?: string): CrashBucket[] {
    return [];
  }

  crash(id: string): CrashReport {
    throw new AdminError('NotFound', `no crash report or bucket '${id}'`);
  }

  crashReports(bucket: string, _limit: number): CrashReport[] {
    throw new AdminError('NotFound', `no crash bucket '${bucket}'`);
  }

  async debugNextCrash(pool: string, arm: boolean): Promise<NextCrashState> {
    this.#get(pool);
    this.calls.push(`debug ${pool} ${arm ? 'arm' : 'disarm'}`);
    return { pool, armed: arm, since: arm ? this.startedAt : null, workers: [], corePattern: 'core', note: null };
  }
}

