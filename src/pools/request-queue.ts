/**
 * The per-pool queue (IIS `queueLength`): requests waiting for a ready worker, first come first
 * served, bounded. A waiter may exclude one worker (a retry must not go back to the worker that
 * just failed it).
 */
import type { WorkerProcess } from '../supervisor/worker-process.ts';

/** Why the front door refused a request: the HTTP.sys reason phrases of the access log. */
export type RefusalReason = 'QueueFull' | 'AppOffline' | 'Disabled' | 'AppShutdown' | 'Connection_Abandoned_By_AppPool';

export interface Refusal {
  readonly reason: RefusalReason;
  /** TcpLevel: reset the connection instead of answering 503. */
  readonly reset: boolean;
}

/** One request waiting for a worker. */
export interface Waiter {
  readonly exclude: WorkerProcess | null;
  grant(worker: WorkerProcess): void;
  refuse(refusal: Refusal): void;
}

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

  /** Grants waiters in order while `pick` finds a worker for them. */
  dispatch(pick: (exclude: WorkerProcess | null) => WorkerProcess | null): void {
    for (let i = 0; i < this.#items.length; ) {
      const waiter = this.#items[i];
      const worker = pick(waiter.exclude);
      if (worker === null) {
        if (waiter.exclude === null) return; // nobody behind it can be served either
        i++;
        continue;
      }
      this.#items.splice(i, 1);
      waiter.grant(worker);
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
