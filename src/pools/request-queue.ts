/**
 * The per-pool queue (IIS `queueLength`): requests waiting for a ready worker, first come first
 * served, bounded. A waiter may exclude one worker (a retry must not go back to the worker that
 * just failed it). Pure: it holds waiters and hands them to whatever `pick` finds.
 */
import type { Refusal, Waiter } from './lease.ts';

export type { Refusal, RefusalReason, Waiter } from './lease.ts';

/** A bounded FIFO of waiters. */
export class RequestQueue {
  readonly #items: Waiter[] = [];
  capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.#items.length;
  }

  get full(): boolean {
    return this.#items.length >= this.capacity;
  }

  push(waiter: Waiter): void {
    this.#items.push(waiter);
  }

  remove(waiter: Waiter): boolean {
    const at = this.#items.indexOf(waiter);
    if (at === -1) return false;
    this.#items.splice(at, 1);
    return true;
  }

  /** Hands waiters, in order, to `grant` while `pick` finds a worker for them. */
  dispatch<W>(pick: (exclude: object | null) => W | null, grant: (waiter: Waiter, worker: W) => void): void {
    for (let i = 0; i < this.#items.length; ) {
      const waiter = this.#items[i];
      const worker = pick(waiter.exclude);
      if (worker === null) {
        if (waiter.exclude === null) return; // nobody behind it can be served either
        i++;
        continue;
      }
      this.#items.splice(i, 1);
      grant(waiter, worker);
    }
  }

  /** Refuses every waiter (the pool stopped). */
  refuseAll(refusal: Refusal): void {
    for (const waiter of this.#items.splice(0)) waiter.refuse(refusal);
  }

  /** Whether a waiter that would take any worker is waiting. */
  get waitingForAny(): boolean {
    return this.#items.some((w) => w.exclude === null);
  }
}
