/**
 * The worker life cycle as one transition table (docs/lifecycle.md draws it).
 *
 *   starting → ready → draining → stopped
 *   ready → suspended → ready          (idleTimeoutAction: Suspend; thawed on the next request)
 *   ready → orphaned                    (a hung worker released for debugging, left running)
 *   any live state → stopped            (exit, crash, kill)
 *
 * Health (healthy | unhealthy) is a separate axis and does not appear here.
 */
import { PaddockError } from '../paddock-error.ts';

/** Where a worker is in its life (DESIGN §2); `suspended` is idleTimeoutAction Suspend. */
export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopped' | 'orphaned' | 'suspended';

/** The second axis: a missed ping, a broken channel or the worker's own report makes it unhealthy. */
export type WorkerHealth = 'healthy' | 'unhealthy';

const transitions: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  starting: ['ready', 'draining', 'stopped'],
  ready: ['draining', 'suspended', 'orphaned', 'stopped'],
  suspended: ['ready', 'draining', 'stopped'],
  draining: ['stopped'],
  orphaned: ['stopped'],
  stopped: [],
};

/** Error raised for a move the table does not allow: a bug in the supervisor, never user input. */
export class IllegalTransitionError extends PaddockError<'PADDOCK_ILLEGAL_TRANSITION'> {
  constructor(kind: string, from: string, to: string) {
    super('PADDOCK_ILLEGAL_TRANSITION', `illegal ${kind} transition ${from} → ${to}`, { step: `move the ${kind} to ${to}` });
  }
}

/** Whether a worker may move from `from` to `to`. */
export function canTransitionWorker(from: WorkerState, to: WorkerState): boolean {
  return transitions[from].includes(to);
}

/** Returns `to`, or throws IllegalTransitionError. */
export function transitionWorker(from: WorkerState, to: WorkerState): WorkerState {
  if (!canTransitionWorker(from, to)) throw new IllegalTransitionError('worker', from, to);
  return to;
}

/** States in which a worker process is, or may still be, running under the pool's care. */
export function isLive(state: WorkerState): boolean {
  return state === 'starting' || state === 'ready' || state === 'suspended' || state === 'draining';
}

export const workerTransitions = transitions;
