/**
 * A pool's queue as its core sees it with front-door threads: the waiters are in the threads,
 * each in its own thread's queue, and the core reads their count from the shared table and sets
 * the bound there. A stop refuses them through the threads; the threads serve, expire and cancel
 * them themselves (front-door/thread-gate.ts).
 */
import type { SharedTable } from '../dispatch/shared-table.ts';
import type { SharedRefusalReason } from '../dispatch/shared-table.ts';
import type { PoolQueue } from './request-queue.ts';
import type { Refusal, Waiter } from './lease.ts';

export class SharedQueue implements PoolQueue {
  readonly local = false;
  readonly #table: SharedTable;
  readonly #index: number;
  readonly #refuseAll: (refusal: Refusal) => void;
  #capacity: number;
  readonly #perWorker: () => number;

  /** `refuseAll` tells the threads; `perWorker` is the per-worker limit written beside the bound. */
  constructor(table: SharedTable, index: number, capacity: number, perWorker: () => number, refuseAll: (refusal: Refusal) => void) {
    this.#table = table;
    this.#index = index;
    this.#capacity = capacity;
    this.#perWorker = perWorker;
    this.#refuseAll = refuseAll;
    table.setPoolLimits(index, capacity, perWorker());
  }

  get capacity(): number {
    return this.#capacity;
  }
  set capacity(n: number) {
    this.#capacity = n;
    this.#table.setPoolLimits(this.#index, n, this.#perWorker());
  }
  get length(): number {
    return this.#table.queued(this.#index);
  }
  get full(): boolean {
    return this.length >= this.#capacity;
  }
  push(_waiter: Waiter): void {
    throw new Error('with front-door threads, requests queue in the threads');
  }
  remove(): boolean {
    return false;
  }
  get oldestAt(): null {
    return null;
  }
  takeExpired(): Waiter[] {
    return [];
  }
  /** The threads serve their queues when they learn a worker is ready. */
  dispatch(): void {}
  refuseAll(refusal: Refusal): void {
    this.#table.setPoolRefusal(this.#index, refusal as { reason: SharedRefusalReason; reset: boolean });
    this.#refuseAll(refusal);
  }
  get waitingForAny(): boolean {
    return false;
  }
}
