/**
 * What to do with a worker that missed its ping (IIS: pingingEnabled / pingResponseTime, with
 * orphanWorkerProcess for debugging). Pure: the pool's settings and counts come in, the plan
 * goes out; the pool carries it out on the process.
 */
import type { DiagnosticsConfig, FailureConfig } from '../../config/types.ts';

export interface MissedPingPlan {
  /** Take a hang report (stacks) before the worker is disposed of. */
  readonly capture: boolean;
  /** Kill it, or leave it running outside the pool for a debugger (orphanWorkerProcess). */
  readonly dispose: 'kill' | 'orphan';
  /** Start a replacement now: not when rapid-fail protection has just stopped the pool. */
  readonly replace: boolean;
  /** Orphans to kill, oldest first, to stay within maxOrphanedProcesses. */
  readonly orphansToKill: number;
}

/** The plan for a missed ping, given the pool's settings, whether the failure stopped the pool, and its orphans now. */
export function planMissedPing(failure: FailureConfig, diagnostics: DiagnosticsConfig, poolStopped: boolean, orphansNow: number): MissedPingPlan {
  const dispose = failure.orphanWorkerProcess ? 'orphan' : 'kill';
  return {
    capture: diagnostics.hangReports,
    dispose,
    replace: !poolStopped,
    orphansToKill: dispose === 'orphan' ? Math.max(0, orphansNow + 1 - failure.maxOrphanedProcesses) : 0,
  };
}
