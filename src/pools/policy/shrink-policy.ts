/**
 * A web garden made smaller (maxProcesses lowered by a reload): which workers drain. The ones that
 * cost the least to lose go first: a worker not yet serving (starting), then the one with the
 * fewest requests in hand, then the youngest. Draining is overlapping: the requests in hand finish.
 */
import type { WorkerState } from '../../supervisor/worker-state.ts';

export interface ShrinkFacts {
  readonly state: WorkerState;
  readonly inFlight: number;
  readonly readyAt: number;
}

/** The workers of `active` (those counting toward maxProcesses) past `max`, in the order they drain. */
export function workersPastMax<W extends ShrinkFacts>(active: readonly W[], max: number): W[] {
  const live = active.filter((w) => w.state !== 'draining' && w.state !== 'stopped');
  if (live.length <= max) return [];
  const order = (w: W): number => (w.state === 'ready' || w.state === 'suspended' ? 1 : 0);
  return [...live]
    .sort((a, b) => order(a) - order(b) || a.inFlight - b.inFlight || b.readyAt - a.readyAt)
    .slice(0, live.length - max);
}
