/**
 * A pool's link to the front-door threads (with `frontDoor.threads` above 1). The threads grant
 * workers; the pool keeps deciding its life. The link writes what the threads must read (how the
 * pool refuses when it is not started, its queue bound and per-worker limit, whether a waiting
 * request may start a worker, each worker's state), and carries out what the threads report: a
 * demand start, a thaw, a recycle at the request limit, a drain that may go on, abandoned and
 * poison requests for the crash report, 504s and queue waits to write as events, blocked requests
 * added up over every thread.
 */
import type { PoolConfig } from '../config/types.ts';
import type { PoolReport, ThreadDispatch, WorkerReport } from '../dispatch/thread-dispatch.ts';
import type { WorkerFacts } from '../dispatch/messages.ts';
import type { SharedRefusalReason } from '../dispatch/shared-table.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import type { Lease } from './lease.ts';
import type { PoolCore, SharedCounts } from './pool-core.ts';
import type { RequestEvents } from './request-events.ts';
import { requestsPerWorker } from './policy/dispatch.ts';
import { SharedQueue } from './shared-queue.ts';
import { SharedRequests } from './shared-requests.ts';

/** What the link reads of its pool and asks of it. */
export interface LinkHost {
  readonly core: PoolCore<WorkerProcess, Lease>;
  readonly requestEvents: RequestEvents;
  /** What a FastCGI worker's request wrote to FCGI_STDERR. */
  applicationStderr(workerId: string, data: Buffer): void;
  /** `worker` holds blockedRequestLimit blocked requests over every thread. */
  blocked(worker: WorkerProcess, labels: readonly string[]): void;
  /** A FastCGI worker ran a request past requestTimeout: it stops taking requests and ends. */
  drainTimedOut(worker: WorkerProcess, limitMs: number): void;
  readonly now: () => number;
}

export class PoolLink {
  readonly #dispatch: ThreadDispatch;
  readonly #host: LinkHost;
  readonly index: number;
  readonly queue: SharedQueue;
  readonly counts: SharedCounts;
  #config: PoolConfig;
  /** Blocked requests each thread last reported, per worker; a worker is flagged once. */
  readonly #blocked = new WeakMap<WorkerProcess, Map<number, readonly string[]>>();
  readonly #flagged = new WeakSet<WorkerProcess>();
  readonly #held = new WeakMap<WorkerProcess, SharedRequests>();

  constructor(dispatch: ThreadDispatch, config: PoolConfig, host: LinkHost) {
    this.#dispatch = dispatch;
    this.#host = host;
    this.#config = config;
    this.index = dispatch.addPool(config, (r) => this.#onPoolReport(r));
    const table = dispatch.table;
    this.queue = new SharedQueue(table, this.index, config.queueLength, () => this.#perWorker(), (refusal) => {
      dispatch.refuseQueued(this.#config.name, refusal as { reason: SharedRefusalReason; reset: boolean });
    });
    this.counts = {
      requests: () => table.poolRequests(this.index),
      refused: () => table.poolRefusals(this.index),
    };
    // Until the host starts its pools, one that starts with it queues what the threads take
    // meanwhile (the threads listen first); one that does not refuses as a stopped pool does.
    table.setPoolRefusal(this.index, config.autoStart ? null : { reason: 'Disabled', reset: false });
  }

  #perWorker(): number {
    return requestsPerWorker(this.#config.protocol, this.#config.processModel.maxConcurrentRequestsPerWorker);
  }

  /** Writes the pool's words: its refusal (none while started), its limits, whether a demand may start a worker. */
  publish(): void {
    const core = this.#host.core;
    const table = this.#dispatch.table;
    table.setPoolRefusal(this.index, core.state === 'started' ? null : (core.refusal() as { reason: SharedRefusalReason; reset: boolean }));
    table.setGrow(this.index, core.wouldGrow);
  }

  /** The configuration changed (reload). */
  reconfigure(config: PoolConfig): void {
    this.#config = config;
    this.#dispatch.poolConfigured(config);
    this.queue.capacity = config.queueLength;
    this.publish();
  }

  /** The pool left the configuration. */
  remove(): void {
    this.#dispatch.removePool(this.#config.name);
  }

  /** The host's tick: the words again (a back-off ended, a worker started), and a demand the threads may still wait on. */
  tick(): void {
    this.publish();
    if (this.#host.core.state === 'started' && this.queue.length > 0) this.#host.core.ensureWorkers();
  }

  // ---- workers ---------------------------------------------------------------------------------

  /** Counts for a new worker, in the table. */
  held(): SharedRequests {
    return new SharedRequests(this.#dispatch.table);
  }

  /** A new worker: its slot, and its facts for the threads whenever they change. */
  attach(worker: WorkerProcess, held: SharedRequests): void {
    const facts = (): Omit<WorkerFacts, 'slot'> => ({
      id: worker.id,
      pool: this.#config.name,
      address: worker.address,
      state: worker.state,
      health: worker.health,
      hung: worker.hung,
    });
    const slot = this.#dispatch.openWorker(this.index, facts(), (r, thread) => this.#onWorkerReport(worker, held, r, thread), this.#host.now());
    held.slot = slot;
    this.#held.set(worker, held);
    // The pool's words follow once the pool has taken the change in (its own listeners run after).
    const publishSoon = (): void => queueMicrotask(() => this.publish());
    worker.on('facts', () => {
      if (worker.state !== 'stopped') this.#dispatch.workerChanged(slot, facts());
      publishSoon();
    });
    worker.watchConnections((verdict) => this.#dispatch.connections(slot, verdict));
    worker.on('exit', (exit) => {
      this.#dispatch.exited(slot, exit);
      publishSoon();
    });
  }

  /**
   * Around a hang report: the requests every thread holds on `worker` are listed as in hand while
   * `capture` runs (the threads hold them, not the supervisor).
   */
  async withHeld(worker: WorkerProcess, capture: () => Promise<void>): Promise<void> {
    const held = this.#held.get(worker);
    if (held === undefined || held.slot < 0) return capture();
    held.snapshot(await this.#dispatch.collectHeld(held.slot));
    try {
      await capture();
    } finally {
      held.endSnapshot();
    }
  }

  /**
   * An exited worker: waits (at most `limitMs`) until no thread counts a request on it, then for
   * every thread's answer, so the requests that broke with it have arrived (abandoned, poison).
   */
  async settle(worker: WorkerProcess, limitMs = 250): Promise<void> {
    const held = this.#held.get(worker);
    if (held === undefined || held.slot < 0) return;
    const table = this.#dispatch.table;
    const until = Date.now() + limitMs;
    while (table.inFlight(held.slot) - table.tunnels(held.slot) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    await this.#dispatch.collectHeld(held.slot, limitMs);
  }

  #onWorkerReport(worker: WorkerProcess, held: SharedRequests, r: WorkerReport, thread: number): void {
    switch (r.t) {
      case 'thaw':
        worker.thaw();
        return;
      case 'requestLimit':
        this.#host.core.released(worker);
        return;
      case 'idle':
        worker.requestsIdle();
        return;
      case 'abandoned':
        held.abandon(r.label);
        if (r.poison) this.#host.requestEvents.droppedPoison(worker, r.label);
        return;
      case 'timedOut':
        // The thread answered them 504 and counted them.
        this.#host.requestEvents.timedOutLabels(worker, r.labels, r.limitMs);
        if (this.#config.protocol === 'fastcgi') this.#host.drainTimedOut(worker, r.limitMs);
        return;
      case 'blocked':
        this.#onBlocked(worker, r.labels, thread);
        return;
    }
  }

  /** Blocked requests over every thread; blockedRequestLimit of them make the worker unhealthy, once. */
  #onBlocked(worker: WorkerProcess, labels: readonly string[], thread: number): void {
    const f = this.#config.failure;
    let byThread = this.#blocked.get(worker);
    if (byThread === undefined) this.#blocked.set(worker, (byThread = new Map()));
    byThread.set(thread, labels);
    const all = [...byThread.values()].flat();
    if (f.blockedRequestLimit <= 0 || all.length < f.blockedRequestLimit || this.#flagged.has(worker)) return;
    if (worker.state !== 'ready' || this.#host.core.isRecycling(worker)) return;
    this.#flagged.add(worker);
    this.#host.blocked(worker, all);
  }

  #onPoolReport(r: PoolReport): void {
    switch (r.t) {
      case 'demand':
        this.#dispatch.table.clearDemand(this.index);
        this.#host.core.demand();
        this.publish();
        return;
      case 'queueTimedOut':
        this.#host.requestEvents.queueTimedOut(r.count, r.limitMs);
        return;
      case 'stderr':
        this.#host.applicationStderr(r.worker, Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
        return;
    }
  }
}
