/**
 * A pool as a front-door thread sees it (the PoolDoor of the thread's front door): requests take a
 * worker through the shared table, without a message to the supervisor. Least outstanding
 * requests over every thread (healthy workers first), the per-worker limit and the queue bound
 * hold across threads because the counts are the table's; a request queued here waits in this
 * thread's queue, counted in the table, and is granted when a worker frees up in any thread (the
 * thread that frees it wakes the others through the table's freed generation). The thread sweeps
 * its own requests for queueTimeout, requestTimeout and blocked requests; what only the
 * supervisor may do (start a worker, recycle one, write the event) it asks for.
 */
import type { PoolConfig } from '../config/types.ts';
import { Lease, type Refusal, type RefusalReason, type Waiter } from '../pools/lease.ts';
import type { PoolDoor } from '../pools/pool-door.ts';
import { RequestQueue } from '../pools/request-queue.ts';
import { blockedRequests, queueWaitExpired, responseOverdue, type HeldRequest } from '../pools/policy/request-limits.ts';
import { refusalOf, WorkerSlotState, type SharedRefusalReason, type SharedTable } from '../dispatch/shared-table.ts';
import type { FromThread } from '../dispatch/messages.ts';
import type { WorkerMirror } from './worker-mirror.ts';

/** What a gate needs of its thread. */
export interface GateHost {
  readonly table: SharedTable;
  readonly thread: number;
  readonly now: () => number;
  post(message: FromThread): void;
}

export class ThreadGate implements PoolDoor {
  readonly name: string;
  readonly index: number;
  #config: PoolConfig;
  readonly #host: GateHost;
  /** The pool's workers this thread knows, in start order. */
  readonly workers: WorkerMirror[] = [];
  readonly #queue: RequestQueue;
  /** Waiting on the table's freed generation for the queue. */
  #waiting = false;
  /** Blocked requests last reported per worker (the supervisor adds up every thread's). */
  readonly #blockedSent = new WeakMap<WorkerMirror, number>();
  readonly #ended = (): void => this.#released();

  constructor(name: string, index: number, config: PoolConfig, host: GateHost) {
    this.name = name;
    this.index = index;
    this.#config = config;
    this.#host = host;
    this.#queue = new RequestQueue(Number.MAX_SAFE_INTEGER);
  }

  get config(): PoolConfig {
    return this.#config;
  }
  set config(config: PoolConfig) {
    this.#config = config;
    for (const w of this.workers) w.pool.diagnostics.includeQueryStrings = config.diagnostics.includeQueryStrings;
  }
  /** Requests this thread holds in its queue for the pool. */
  get queued(): number {
    return this.#queue.length;
  }

  // ---- PoolDoor ------------------------------------------------------------------------------

  acquire<C>(waiter: Waiter<C>): Lease<C> | Refusal | null {
    const { table, thread } = this.#host;
    const word = table.poolState(this.index);
    if (word !== 0) return this.#refuse(refusalOf(word));
    const lease = this.#tryGrant(waiter);
    if (lease !== null) return lease;
    // Counted first, then checked: two threads never both take the queue's last place.
    table.addQueued(this.index, thread, 1);
    if (table.queued(this.index) > table.queueCapacity(this.index)) {
      table.addQueued(this.index, thread, -1);
      return this.#refuse({ reason: 'QueueFull', reset: false });
    }
    this.#queue.push(waiter, this.#host.now());
    this.#demand();
    // A worker may have freed up between the look and the queueing: look once more.
    this.dispatchQueued();
    if (this.#queue.length > 0) this.#waitFreed();
    return null;
  }

  cancel(waiter: Waiter): void {
    if (this.#queue.remove(waiter)) this.#host.table.addQueued(this.index, this.#host.thread, -1);
  }

  countRefusal(reason: RefusalReason): void {
    this.#host.table.countRefusal(this.#host.thread, this.index, reason as SharedRefusalReason);
  }

  applicationStderr(workerId: string, data: Buffer): void {
    this.#host.post({ t: 'stderr', pool: this.name, worker: workerId, data });
  }

  #refuse(refusal: Refusal): Refusal {
    this.countRefusal(refusal.reason);
    return refusal;
  }

  // ---- granting ------------------------------------------------------------------------------

  /** A lease on the least busy worker with room, counted in the table; null when none has room. */
  #tryGrant<C>(waiter: Waiter<C>): Lease<C> | null {
    const { table, thread } = this.#host;
    const limit = table.perWorkerLimit(this.index);
    const now = this.#host.now();
    let skip: WorkerMirror | null = null;
    for (let tries = 0; tries < 2; tries++) {
      const w = this.#pick(waiter.exclude, skip, limit);
      if (w === null) return null;
      const count = table.claim(w.slot, thread, limit, now);
      if (count === 0) {
        // Another thread took the last place first, or the worker just closed: the next best.
        skip = w;
        continue;
      }
      return this.#granted(w, waiter, count, now);
    }
    return null;
  }

  #granted<C>(w: WorkerMirror, waiter: Waiter<C>, count: number, now: number): Lease<C> {
    const { table, thread } = this.#host;
    table.countRequest(thread, this.index);
    if (table.workerState(w.slot) === WorkerSlotState.suspended && table.claimThaw(w.slot)) this.#host.post({ t: 'thaw', slot: w.slot });
    const every = this.#config.recycling.periodicRestart.requests;
    if (every > 0 && count === every) this.#host.post({ t: 'requestLimit', slot: w.slot });
    // A web garden grows under traffic, one worker at a time, up to maxProcesses.
    if (this.#config.processModel.maxProcesses > 1) this.#demand();
    return new Lease(w, waiter, this.#ended, now);
  }

  /** Least outstanding requests (over every thread) among the workers that take requests, healthy ones first. */
  #pick(exclude: object | null, skip: WorkerMirror | null, limit: number): WorkerMirror | null {
    const table = this.#host.table;
    let best: WorkerMirror | null = null;
    let bestBusy = 0;
    let bestHealthy = false;
    for (const w of this.workers) {
      if (w === exclude || w === skip || w.hung) continue;
      const word = table.workerState(w.slot);
      if (word !== WorkerSlotState.ready && word !== WorkerSlotState.suspended) continue;
      const flight = table.inFlight(w.slot);
      if (limit > 0 && flight - table.tunnels(w.slot) >= limit) continue;
      const healthy = w.health === 'healthy';
      if (best === null || (healthy && !bestHealthy) || (healthy === bestHealthy && flight < bestBusy)) {
        best = w;
        bestBusy = flight;
        bestHealthy = healthy;
      }
    }
    return best;
  }

  #demand(): void {
    if (this.#host.table.raiseDemand(this.index)) this.#host.post({ t: 'demand', pool: this.name });
  }

  /** Serves this thread's queue, oldest first, while workers have room (also when the supervisor says a worker became ready). */
  dispatchQueued(): void {
    if (this.#queue.length === 0) return;
    if (this.#host.table.poolState(this.index) !== 0) return;
    const { table, thread } = this.#host;
    const limit = table.perWorkerLimit(this.index);
    this.#queue.dispatch(
      (exclude) => this.#pick(exclude, null, limit),
      (waiter, worker) => {
        const now = this.#host.now();
        const count = table.claim(worker.slot, thread, limit, now);
        if (count === 0) return false; // lost the place to another thread: wait for the next
        table.addQueued(this.index, thread, -1);
        waiter.grant(this.#granted(worker, waiter, count, now));
        return true;
      },
    );
    if (this.#queue.length > 0) {
      this.#demand();
      this.#waitFreed();
    }
  }

  /** Waits for any thread to free a worker of the pool, then serves the queue again. */
  #waitFreed(): void {
    if (this.#waiting) return;
    const table = this.#host.table;
    const seen = table.freedGeneration(this.index);
    const wait = table.waitFreed(this.index, seen);
    this.#waiting = true;
    const again = (): void => {
      this.#waiting = false;
      this.dispatchQueued();
    };
    if (wait === null) queueMicrotask(again);
    else void wait.then(again);
  }

  /** A lease ended: the queue here moves first; queues of other threads are woken when this one has none. */
  #released(): void {
    if (this.#queue.length > 0) this.dispatchQueued();
    if (this.#host.table.queued(this.index) > this.#queue.length) this.#host.table.wakeWaiters(this.index);
  }

  /** The pool stopped: every request queued here is refused as it says. */
  refuseQueued(refusal: Refusal): void {
    const n = this.#queue.length;
    if (n === 0) return;
    this.#host.table.addQueued(this.index, this.#host.thread, -n);
    for (let i = 0; i < n; i++) this.countRefusal(refusal.reason);
    this.#queue.refuseAll(refusal);
  }

  // ---- the thread's sweep of its requests ----------------------------------------------------

  /** queueTimeout, requestTimeout and blocked requests, for this thread's requests of the pool. */
  sweep(now: number): void {
    const pm = this.#config.processModel;
    const f = this.#config.failure;
    if (pm.queueTimeout > 0 && this.#queue.length > 0) {
      const expired = this.#queue.takeExpired((at) => queueWaitExpired(at, pm.queueTimeout, now));
      if (expired.length > 0) {
        this.#host.table.addQueued(this.index, this.#host.thread, -expired.length);
        for (const waiter of expired) {
          this.countRefusal('QueueFull');
          waiter.refuse({ reason: 'QueueFull', reset: false });
        }
        this.#host.post({ t: 'queueTimedOut', pool: this.name, count: expired.length, limitMs: pm.queueTimeout });
      }
    }
    if (pm.requestTimeout <= 0 && f.blockedRequestLimit <= 0) return;
    for (const w of this.workers) {
      if (w.held.size === 0) {
        if (f.blockedRequestLimit > 0) this.#reportBlocked(w, []);
        continue;
      }
      const held = w.held as unknown as Set<Lease & HeldRequest>;
      if (pm.requestTimeout > 0) {
        let overdue: Lease[] | null = null;
        for (const r of held) {
          if (now - r.grantedAt < pm.requestTimeout) break; // grant order: the rest are younger
          if (responseOverdue(r, pm.requestTimeout, now)) (overdue ??= []).push(r);
        }
        if (overdue !== null) {
          this.#host.post({ t: 'timedOut', slot: w.slot, labels: overdue.map((l) => l.label), limitMs: pm.requestTimeout });
          for (const lease of overdue) lease.expire(pm.requestTimeout);
        }
      }
      if (f.blockedRequestLimit > 0) this.#reportBlocked(w, blockedRequests(held, 1, f.blockedRequestTime, now) ?? []);
    }
  }

  /** The supervisor counts blocked requests over every thread: each thread says when its count changes. */
  #reportBlocked(w: WorkerMirror, blocked: readonly Lease[]): void {
    if ((this.#blockedSent.get(w) ?? 0) === blocked.length) return;
    this.#blockedSent.set(w, blocked.length);
    this.#host.post({ t: 'blocked', slot: w.slot, labels: blocked.map((l) => l.label) });
  }
}
