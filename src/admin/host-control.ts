/**
 * What the admin API may see and do: read-only snapshots and a few commands. The host implements
 * it; the admin API, the CLI (through the API), the dashboard and the tests all go through it.
 */
import type { EventLog } from '../events/event-log.ts';
import type { CrashBucket, CrashReport, NextCrashState } from '../diagnostics/report-types.ts';

export type PoolState = 'started' | 'stopping' | 'stopped';
export type PoolStopReason = 'admin' | 'rapidFail' | 'cpuLimit' | 'identity' | 'config' | null;
export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopped' | 'orphaned' | 'suspended';
export type WorkerHealth = 'healthy' | 'unhealthy';

/** One worker, as `GET /api/workers` and `paddock workers --json` show it (DESIGN §7). */
export interface WorkerSnapshot {
  readonly pool: string;
  readonly id: string;
  readonly pid: number | null;
  readonly state: WorkerState;
  readonly health: WorkerHealth;
  /** ISO time. */
  readonly startedAt: string;
  readonly requests: number;
  readonly inFlight: number;
  readonly rssBytes: number | null;
  readonly cpuSeconds: number | null;
}

/** One pool, as `GET /api/pools` shows it. */
export interface PoolSnapshot {
  readonly name: string;
  readonly state: PoolState;
  readonly stopReason: PoolStopReason;
  readonly startMode: string;
  readonly maxProcesses: number;
  readonly queueLength: number;
  /** Requests waiting for a ready worker now. */
  readonly queued: number;
  readonly inFlight: number;
  readonly requests: number;
  /** Requests refused by the front door, by reason (QueueFull, AppOffline, ...). */
  readonly refused: Readonly<Record<string, number>>;
  /** Failures counted in the current rapid-fail window. */
  readonly recentFailures: number;
  readonly workers: readonly WorkerSnapshot[];
  /** Whether the pool can take a request now (for /health/pools/:name). */
  readonly available: boolean;
}

export type ReloadResult =
  | { readonly ok: true; readonly added: string[]; readonly removed: string[]; readonly changed: string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Thrown by commands; the admin API maps `code` to an HTTP status. */
export class AdminError extends Error {
  readonly code: 'NotFound' | 'Conflict' | 'BadRequest';
  constructor(code: AdminError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface HostControl {
  readonly startedAt: string;
  readonly dataDir: string;
  pools(): PoolSnapshot[];
  /** Throws AdminError NotFound for an unknown pool. */
  pool(name: string): PoolSnapshot;
  workers(pool?: string): WorkerSnapshot[];
  startPool(name: string): Promise<void>;
  stopPool(name: string): Promise<void>;
  recyclePool(name: string): Promise<void>;
  reload(): Promise<ReloadResult>;
  readonly events: EventLog;
  /** Prometheus exposition text. */
  metrics(): Promise<string>;
  /** The per-pool log file currently written, for `paddock logs`. */
  logFile(pool: string): string;
  /** Crash and hang buckets, most recently seen first; with `pool`, those the pool has hit. */
  crashes(pool?: string): CrashBucket[];
  /** A whole report by report id, or a bucket's newest report by bucket id; throws AdminError NotFound. */
  crash(id: string): CrashReport;
  /** Arms (or disarms) full capture, cores included, until the pool's next crash; throws NotFound for an unknown pool. */
  debugNextCrash(pool: string, arm: boolean): Promise<NextCrashState>;
}
