/** One pool as the admin API shows it: `GET /api/pools`, `paddock pools --json`. */
import type { WorkerSnapshot } from '../supervisor/worker-snapshot.ts';
import type { PoolState, PoolStopReason } from './pool-state.ts';

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
