/**
 * The pool core's contract with whoever carries out its decisions (pool-core.ts): the facts it
 * reads of a worker and of an exit, and `PoolEffects`, one method per decision, which the pool
 * shell (pool.ts) carries out against processes and tests carry out against plain objects.
 */
import type { WorkerState } from '../supervisor/worker-state.ts';
import type { Waiter } from './lease.ts';
import type { FailureRecord } from './policy/rapid-fail.ts';
import type { RecycleTrigger } from './policy/recycle-policy.ts';
import type { DispatchFacts } from './policy/dispatch.ts';
import type { HeldRequest } from './policy/request-limits.ts';
import type { SweepEffects } from './request-sweep.ts';

/** What the core reads of a worker; WorkerProcess has all of it, tests use plain objects. */
export interface CoreWorker extends DispatchFacts {
  readonly id: string;
  readonly state: WorkerState;
  readonly requests: number;
  readonly lastActivityAt: number;
  readonly readyAt: number;
}

/** How an exit looked to the pool. */
export interface ExitSummary {
  /** The host asked for it (drain, recycle, kill after a limit): not a crash. */
  readonly expected: boolean;
  readonly stateBefore: WorkerState;
}

/** Where the core's decisions go. Each method is one decision; none returns until it is carried out. */
export interface PoolEffects<W, R extends HeldRequest = HeldRequest> extends SweepEffects<W, R> {
  /** Start a worker (the overlapping replacement of `replacementFor` when given); null when none could start. */
  startWorker(replacementFor: W | null): W | null;
  /** Drain `worker` and stop it (`reason` goes to its exit event). */
  drainWorker(worker: W, reason: string): void;
  /** Give a queued request its worker (the shell makes the lease). */
  grant(waiter: Waiter, worker: W): void;
  /** Idle timeout, Suspend: freeze `worker`. */
  suspendWorker(worker: W, idleMs: number): void;
  /** Idle timeout, Terminate: shut `worker` down. */
  shutDownIdle(worker: W, idleMs: number): void;
  /** Crash-loop back-off: call `retryStarts()` after `delayMs`. */
  retryStartsIn(delayMs: number): void;
  /** Rapid-fail protection tripped and the core is stopping the pool: drain its workers, say why (5002), run autoShutdownAction. */
  rapidFailTripped(failures: readonly FailureRecord[]): void;
  /** Write the recycle event for `worker` (null: the pool had no worker to recycle). */
  logRecycle(worker: W | null, trigger: RecycleTrigger, details: Record<string, unknown>): void;
  /** Write 5093: `replacement` exited before it was ready, `old` keeps serving. */
  logReplacementFailed(old: W, replacement: W): void;
  /** `worker` called itself unhealthy within startupTimeLimit of becoming ready: write 7163 (a failure was counted). */
  logUnhealthyAtStart(worker: W, reason: string, sinceReadyMs: number): void;
}
