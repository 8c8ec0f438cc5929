/** One worker as the admin API shows it: `GET /api/workers`, `paddock workers --json` (DESIGN §7). */
import type { WorkerHealth, WorkerState } from './worker-state.ts';

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
