/** One pool as the admin API shows it: `GET /api/pools`, `paddock pools --json`; and how a pool makes it. */
import type { WorkerSnapshot } from '../supervisor/worker-snapshot.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import type { PoolState, PoolStopReason } from './pool-state.ts';
import type { PoolCore } from './pool-core.ts';
import type { Lease } from './lease.ts';

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
  /** Workers in a row that exited before they became ready (0 once one is ready): a crash loop at start. */
  readonly startFailures: number;
  readonly workers: readonly WorkerSnapshot[];
  /** Whether the pool can take a request now (for /health/pools/:name). */
  readonly available: boolean;
}

/** The snapshot of a pool from its core, with its orphans among the workers shown. */
export function snapshotOf(core: PoolCore<WorkerProcess, Lease>, orphans: readonly WorkerProcess[]): PoolSnapshot {
  const config = core.config;
  const live = [...core.workers, ...orphans];
  return {
    name: config.name,
    state: core.state,
    stopReason: core.state === 'started' ? null : core.stopReason,
    startMode: config.startMode,
    maxProcesses: config.processModel.maxProcesses,
    queueLength: config.queueLength,
    queued: core.queue.length,
    inFlight: core.workers.reduce((n, w) => n + w.inFlight, 0),
    requests: core.requests,
    refused: { ...core.refused },
    recentFailures: core.recentFailures(),
    startFailures: core.startFailures,
    workers: live.map((w) => w.inspect()),
    available: core.available,
  };
}
