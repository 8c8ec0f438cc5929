/**
 * What the admin API may see and do: read-only snapshots and a few commands. The host implements
 * it; the admin API, the CLI (through the API), the dashboard and the tests all go through it.
 */
import type { EventLog } from '../events/event-log.ts';
import type { CrashBucket, CrashReport, NextCrashState } from '../diagnostics/report-types.ts';
import type { PoolSnapshot } from '../pools/pool-snapshot.ts';
import type { WorkerSnapshot } from '../supervisor/worker-snapshot.ts';
import type { HistorySnapshot } from './observe/history.ts';
import { PaddockError } from '../paddock-error.ts';
import type { IsolationReport } from '../supervisor/cgroups/host-cgroups.ts';

export type { IsolationReport } from '../supervisor/cgroups/host-cgroups.ts';

// The state and snapshot types live beside their transition tables and their producers; the
// admin API, the CLI and the tests read them from here too.
export type { PoolState, PoolStopReason } from '../pools/pool-state.ts';
export type { WorkerState, WorkerHealth } from '../supervisor/worker-state.ts';
export type { PoolSnapshot } from '../pools/pool-snapshot.ts';
export type { WorkerSnapshot } from '../supervisor/worker-snapshot.ts';

export type ReloadResult =
  | {
    readonly ok: true;
    readonly added: string[];
    readonly removed: string[];
    readonly changed: string[];
    /** Keys that changed and took effect ("pools.web.processModel.maxProcesses", "sites"). */
    readonly applied: string[];
    /** Keys that changed and take effect only when the host restarts ("listen", "logs.maxBytes"). */
    readonly waitsForRestart: string[];
  }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Thrown by commands; the admin API maps `code` to an HTTP status. */
export class AdminError extends PaddockError<'NotFound' | 'Conflict' | 'BadRequest'> {}

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
  /** What the host found for isolation: the cgroup layout, its own cgroups, whether workers get one, why not. */
  isolation(): IsolationReport;
  /** The front door's threads and each one's load (GET /api/front-door); `threads` is null when it runs on the host's thread. */
  frontDoorLoad(): FrontDoorReport;
  /** Prometheus exposition text. */
  metrics(): Promise<string>;
  /** Per-pool figures over the last hour, and the events to mark on them; throws NotFound for an unknown pool. */
  history(pool?: string): HistorySnapshot;
  /** The per-pool log file currently written, for `paddock logs`. */
  logFile(pool: string): string;
  /** Crash and hang buckets, most recently seen first; with `pool`, those the pool has hit. */
  crashes(pool?: string): CrashBucket[];
  /** A whole report by report id, or a bucket's newest report by bucket id; throws AdminError NotFound. */
  crash(id: string): CrashReport;
  /** The newest `limit` reports of a bucket, whole, newest first; throws AdminError NotFound for an unknown bucket. */
  crashReports(bucket: string, limit: number): CrashReport[];
  /** Arms (or disarms) full capture, cores included, until the pool's next crash; throws NotFound for an unknown pool. */
  debugNextCrash(pool: string, arm: boolean): Promise<NextCrashState>;
  /**
   * `paddock shutdown`: starts the host's graceful stop (what SIGTERM does) and returns at once;
   * throws AdminError Conflict where the host cannot be stopped this way.
   */
  requestShutdown?(): void;
}

/** What GET /api/front-door says: client connections, and each front-door thread's load. */
export interface FrontDoorReport {
  readonly connections: number;
  readonly threads: ReadonlyArray<{ readonly thread: number; readonly connections: number; readonly inFlight: number; readonly requests: number; readonly restarts: number }> | null;
}
