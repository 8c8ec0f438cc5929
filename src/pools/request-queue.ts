/**
 * The per-pool queue (IIS `queueLength`): requests waiting for a ready worker, first come first
 * served, bounded. A waiter may exclude one worker (a retry must not go back to the worker that
 * just failed it). Each waiter keeps the time it was queued, so the queue's wait limit
 * (`queueTimeout`) takes expired ones from its head. Pure: it holds waiters and hands them to
 * whatever `pick` finds; time comes from the caller.
 */
import type { Refusal, Waiter } from './lease.ts';

export type { Refusal, RefusalReason, Waiter } from './lease.ts';

/**
 * What the pool core reads and asks of its queue. RequestQueue holds the waiters itself; with
 * front-door threads, each thread holds its own and the core sees their count in the shared table
 * (pools/shared-queue.ts).
 */
export interface PoolQueue {
  capacity: number;
  readonly length: number;
  readonly full: boolean;
  /** The waiters are held here (false: in the front-door threads, out of the core's reach). */
  readonly local: boolean;
  push(waiter: Waiter, now?: number): void;
  remove(waiter: Waiter): boolean;
  readonly oldestAt: number | null;
  takeExpired(expired: (queuedAt: number) => boolean): Waiter[];
  dispatch<W>(pick: (exclude: object | null) => W | null, grant: (waiter: Waiter, worker: W) => void | boolean): void;
  refuseAll(refusal: Refusal): void;
  readonly waitingForAny: boolean;
}

/** A bounded FIFO of waiters, each with the time it was queued (parallel arrays: no object per entry). */
export class RequestQueue implements PoolQueue {
  readonly local = true;
  readonly #items: Waiter[] = [];
  readonly #at: number[] = [];
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

  /** Queues `waiter` at time `now` (the pool's clock). */
  push(waiter: Waiter, now = 0): void {
    this.#items.push(waiter);
    this.#at.push(now);
  }

  remove(waiter: Waiter): boolean {
    const at = this.#items.indexOf(waiter);
    if (at === -1) return false;
    this.#items.splice(at, 1);
    this.#at.splice(at, 1);
    return true;
  }

  /** When the oldest waiter was queued, or null when none waits. */
  get oldestAt(): number | null {
    return this.#at.length === 0 ? null : this.#at[0];
  }

  /** Takes out, oldest first, every waiter for which `expired(queuedAt)` holds (they are in time order). */
  takeExpired(expired: (queuedAt: number) => boolean): Waiter[] {
    let n = 0;
    while (n < this.#at.length && expired(this.#at[n])) n++;
    this.#at.splice(0, n);
    return this.#items.splice(0, n);
  }

  /**
   * Hands waiters, in order, to `grant` while `pick` finds a worker for them. A `grant` that
   * returns false could not take the worker after all (another thread took its last place): the
   * waiter keeps its place and the dispatch stops.
   */
  dispatch<W>(pick: (exclude: object | null) => W | null, grant: (waiter: Waiter, worker: W) => void | boolean): void {
    for (let i = 0; i < this.#items.length; ) {
      const waiter = this.#items[i];
      const worker = pick(waiter.exclude);
      if (worker === null) {
        if (waiter.exclude === null) return; // nobody behind it can be served either
        i++;
        continue;
      }
      this.#items.splice(i, 1);
      const at = this.#at.splice(i, 1)[0];
      if (grant(waiter, worker) === false) {
        this.#items.splice(i, 0, waiter);
        this.#at.splice(i, 0, at);
        return;
      }
    }
  }

  /** Refuses every waiter (the pool stopped). */
  refuseAll(refusal: Refusal): void {
    this.#at.length = 0;
    for (const waiter of this.#items.splice(0)) waiter.refuse(refusal);
  }

  /** Whether a waiter that would take any worker is waiting. */
  get waitingForAny(): boolean {
    return this.#items.some((w) => w.exclude === null);
  }
}
