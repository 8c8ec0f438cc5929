/**
 * What became of the worker that failed a request, as both upstream protocols' exchanges ask it:
 * dead or dying (so the retry excludes it, and a second death makes a poison request), or alive
 * after a connection it dropped (a dying worker's exit follows its closed sockets within
 * milliseconds, so one still ready a moment later is taken to be alive).
 */
import type { LeasedWorker } from '../pools/lease.ts';

/** Whether the worker that failed a request is dead or dying (exited, or hung and about to be killed). */
export function diedWith(worker: LeasedWorker): boolean {
  return worker.exitFacts !== null || worker.hung;
}

/** Callbacks waiting for a worker's exit, by worker: one reaction to its exit however many wait. */
const exitWaiters = new WeakMap<LeasedWorker, Set<() => void>>();

/** Calls `fn` once: when `worker` exits or after `ms`, whichever comes first. */
export function whenExitedOr(worker: LeasedWorker, ms: number, fn: () => void): void {
  let waiting = exitWaiters.get(worker);
  if (waiting === undefined) {
    const all = new Set<() => void>();
    waiting = all;
    exitWaiters.set(worker, all);
    void worker.exited.then(() => {
      exitWaiters.delete(worker);
      for (const run of [...all]) run();
    });
  }
  const set = waiting;
  const run = (): void => {
    if (!set.delete(run)) return;
    clearTimeout(timer);
    fn();
  };
  const timer = setTimeout(run, ms);
  set.add(run);
}
