/**
 * The pool life cycle as one transition table (docs/lifecycle.md draws it).
 *
 *   started → stopping → stopped → started
 *
 * Why a pool stopped is a separate field (`PoolStopReason`): admin, rapidFail, cpuLimit, identity,
 * config. A stopped pool answers per loadBalancerCapabilities (503 or a connection reset).
 */
import { IllegalTransitionError } from '../supervisor/worker-state.ts';

/** Where a pool is in its life (DESIGN §2). */
export type PoolState = 'started' | 'stopping' | 'stopped';

/** Why a pool is not started; null while it is. */
export type PoolStopReason = 'admin' | 'rapidFail' | 'cpuLimit' | 'identity' | 'config' | null;

const transitions: Readonly<Record<PoolState, readonly PoolState[]>> = {
  started: ['stopping'],
  stopping: ['stopped'],
  stopped: ['started'],
};

/** Whether a pool may move from `from` to `to`. */
export function canTransitionPool(from: PoolState, to: PoolState): boolean {
  return transitions[from].includes(to);
}

/** Returns `to`, or throws IllegalTransitionError. */
export function transitionPool(from: PoolState, to: PoolState): PoolState {
  if (!canTransitionPool(from, to)) throw new IllegalTransitionError('pool', from, to);
  return to;
}

export const poolTransitions = transitions;
