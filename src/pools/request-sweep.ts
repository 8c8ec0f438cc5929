/**
 * The pool's sweep of its requests, once per tick (and the queue's head at each release): the
 * queue's wait limit, the response timeout and the blocked-request health signal, by the rules in
 * policy/request-limits.ts. One pass per pool instead of a timer per request: a pool holding
 * thousands of requests pays a comparison for each expired one and one for the youngest.
 * It decides; what it decides goes to its effects (the pool shell answers 504, writes the events,
 * takes the hang report).
 */
import type { PoolConfig } from '../config/types.ts';
import type { WorkerState } from '../supervisor/worker-state.ts';
import type { Refusal, RefusalReason } from './lease.ts';
import type { PoolQueue } from './request-queue.ts';
import { blockedRequests, queueWaitExpired, responseOverdue, type HeldRequest } from './policy/request-limits.ts';

/** Where the sweep's decisions go (part of the pool core's effects). */
export interface SweepEffects<W, R extends HeldRequest = HeldRequest> {
  /** These requests of `worker` had no response head within requestTimeout: answer each 504 (not retried), write 7160. */
  requestsTimedOut(worker: W, requests: readonly R[], limitMs: number): void;
  /** The core refused `count` waiters that queued longer than queueTimeout (503 QueueFull): write 7161. */
  logQueueTimeout(count: number, limitMs: number): void;
  /**
   * `worker` holds blockedRequestLimit requests stuck past blockedRequestTime: it is unhealthy.
   * Take its hang report, then call `recycleWorker(worker, 'IsapiUnhealthy', …)` (5078, overlapping).
   */
  blockedWorker(worker: W, requests: readonly R[]): void;
}

/** The requests each worker holds, in grant order (oldest first). */
export type HeldProbe<W, R extends HeldRequest = HeldRequest> = (worker: W) => Iterable<R>;

/** What the sweep reads of its pool. */
export interface SweepHost<W> {
  readonly config: PoolConfig;
  readonly queue: PoolQueue;
  readonly workers: readonly W[];
  refusal(reason: RefusalReason): Refusal;
  countRefusal(reason: RefusalReason): void;
  isRecycling(worker: W): boolean;
}

/** The request limits of one pool. */
export class RequestSweep<W extends { readonly state: WorkerState; readonly inFlight: number }, R extends HeldRequest> {
  readonly #host: SweepHost<W>;
  readonly #effects: SweepEffects<W, R>;
  /** Workers found holding blocked requests: flagged once, recycled after their hang report. */
  readonly #blocked = new WeakSet<W>();

  constructor(host: SweepHost<W>, effects: SweepEffects<W, R>) {
    this.#host = host;
    this.#effects = effects;
  }

  /** Refuses (503 QueueFull) the waiters queued longer than queueTimeout; they are the oldest, at the head. */
  expireQueue(now: number): void {
    const { config, queue } = this.#host;
    const limit = config.processModel.queueTimeout;
    if (limit <= 0 || queue.length === 0) return;
    const expired = queue.takeExpired((at) => queueWaitExpired(at, limit, now));
    if (expired.length === 0) return;
    const refusal = this.#host.refusal('QueueFull');
    for (const waiter of expired) {
      this.#host.countRefusal('QueueFull');
      waiter.refuse(refusal);
    }
    this.#effects.logQueueTimeout(expired.length, limit);
  }

  /** The tick's pass: the queue, then each worker's requests. */
  sweep(now: number, held: HeldProbe<W, R>): void {
    const pm = this.#host.config.processModel;
    const f = this.#host.config.failure;
    this.expireQueue(now);
    if (pm.requestTimeout <= 0 && f.blockedRequestLimit <= 0) return;
    for (const w of [...this.#host.workers]) {
      if (w.inFlight === 0) continue;
      if (pm.requestTimeout > 0) {
        let overdue: R[] | null = null;
        for (const r of held(w)) {
          if (now - r.grantedAt < pm.requestTimeout) break; // grant order: the rest are younger
          if (responseOverdue(r, pm.requestTimeout, now)) (overdue ??= []).push(r);
        }
        if (overdue !== null) this.#effects.requestsTimedOut(w, overdue, pm.requestTimeout);
      }
      if (f.blockedRequestLimit > 0 && w.state === 'ready' && !this.#blocked.has(w) && !this.#host.isRecycling(w)) {
        const blocked = blockedRequests(held(w), f.blockedRequestLimit, f.blockedRequestTime, now);
        if (blocked !== null) {
          this.#blocked.add(w);
          this.#effects.blockedWorker(w, blocked);
        }
      }
    }
  }
}
