/**
 * The pool life cycle as one transition table (docs/lifecycle.md draws it).
 *
 *   started → stopping → stopped → started
 *
 * Why a pool stopped is a separate field (`PoolStopReason`): admin, rapidFail, cpuLimit, identity,
 * config. A stopped pool answers per loadBalancerCapabilities (503 or a connection reset).
 */
import type { PoolState } from '../admin/host-control.ts';
import { IllegalTransitionError } from '../supervisor/worker-state.ts';

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
