/**
 * The pure core of an application pool: which worker takes a request, the queue, when a worker
 * starts (on demand, AlwaysRunning, after a hang), the crash-loop back-off, the recycle queue,
 * rapid-fail protection, and the limits on each request's life (queue wait, response time, blocked
 * and poison requests, concurrency per worker: policy/request-limits.ts). It reads facts (worker
 * state, counters, the injected clock), never processes, sockets or timers, and says what to do
 * through `PoolEffects` (pool-core-effects.ts), which the pool shell (pool.ts) carries out against
 * processes and tests carry out against plain objects.
 *
 * Invariants (verifyInvariants() checks them; every scenario test calls it):
 * - a stopped pool has no queued request and no live worker but draining ones;
 * - if the queue holds a request that excludes no worker, no ready healthy worker has room for it
 *   (room: below maxConcurrentRequestsPerWorker);
 * - at most one recycle runs at a time, so a web garden never drops below N-1 ready workers.
 */
import type { PoolConfig } from '../config/types.ts';
import { isLive } from '../supervisor/worker-state.ts';
import { transitionPool, type PoolState, type PoolStopReason } from './pool-state.ts';
import { RequestQueue, type PoolQueue } from './request-queue.ts';
import type { Refusal, RefusalReason, Waiter } from './lease.ts';
import { Recycler, type RecycleHost } from './recycler.ts';
import { RapidFailWindow, type FailureKind } from './policy/rapid-fail.ts';
import { planMissedPing, type MissedPingPlan } from './policy/ping-policy.ts';
import { requestsTrigger, type RecycleTrigger } from './policy/recycle-policy.ts';
import { countsTowardMax, demandStart, pickWorker, replaceAtOnce, requestsPerWorker, startBackoffMs } from './policy/dispatch.ts';
import { workersPastMax } from './policy/shrink-policy.ts';
import { unhealthyAtStart, type HeldRequest } from './policy/request-limits.ts';
import { RequestSweep, type HeldProbe } from './request-sweep.ts';
import type { CoreWorker, ExitSummary, PoolEffects } from './pool-core-effects.ts';
import { WorkerChecks, type MemoryProbe } from './worker-checks.ts';

export type { HeldRequest } from './policy/request-limits.ts';
export type { HeldProbe } from './request-sweep.ts';
export type { CoreWorker, ExitSummary, PoolEffects } from './pool-core-effects.ts';
export type { MemoryProbe } from './worker-checks.ts';

/** Counts kept outside the core (front-door threads, in the shared table). */
export interface SharedCounts {
  requests(): number;
  refused(): Readonly<Record<string, number>>;
}

const stopReasonRefusal: Record<Exclude<PoolStopReason, null>, RefusalReason> = {
  admin: 'Disabled',
  rapidFail: 'AppOffline',
  cpuLimit: 'AppShutdown',
  identity: 'AppOffline',
  config: 'Disabled',
};

/** The decisions of one pool. */
export class PoolCore<W extends CoreWorker, R extends HeldRequest = HeldRequest> {
  #config: PoolConfig;
  #state: PoolState = 'stopped';
  #stopReason: PoolStopReason = 'admin';
  readonly queue: PoolQueue;
  #requests = 0;
  readonly #refused: Record<string, number> = {};
  readonly #workers: W[] = [];
  /** An overlapping replacement → the worker it replaces. */
  readonly #replaces = new WeakMap<W, W>();
  readonly #now: () => number;
  readonly #effects: PoolEffects<W, R>;
  readonly #sweep: RequestSweep<W, R>;
  #rapidFail: RapidFailWindow;
  readonly #recycler: Recycler<W>;
  /** Starts in a row that died before ready (the back-off's count). */
  #startFailures = 0;
  /** A back-off delay runs: nothing starts until retryStarts(). */
  #retryPending = false;
  readonly #checks: WorkerChecks<W>;
  readonly #pick = (exclude: object | null): W | null => pickWorker(this.#workers, exclude, requestsPerWorker(this.#config.protocol, this.#config.processModel.maxConcurrentRequestsPerWorker));
  readonly #grant = (waiter: Waiter, worker: W): void => {
    this.#requests++;
    this.#effects.grant(waiter, worker);
  };

  /** Requests granted and refused elsewhere (the front-door threads count them in the shared table). */
  readonly #counted: SharedCounts | null;

  /**
   * `now` is the pool's clock (epoch ms). With front-door threads, `shared` gives the queue the
   * threads hold and the counts they keep: the core then decides the pool's life, and the threads
   * grant workers.
   */
  constructor(config: PoolConfig, now: () => number, effects: PoolEffects<W, R>, shared: { queue: PoolQueue; counts: SharedCounts } | null = null) {
    this.#config = config;
    this.#now = now;
    this.#effects = effects;
    this.queue = shared?.queue ?? new RequestQueue(config.queueLength);
    this.#counted = shared?.counts ?? null;
    this.#rapidFail = makeWindow(config);
    const core = this;
    const host: RecycleHost<W> = {
      get config() { return core.#config; },
      get state() { return core.#state; },
      get workers() { return core.#workers; },
      active: () => this.active(),
      start: (replacementFor) => this.#start(replacementFor),
      drain: (worker, reason) => effects.drainWorker(worker, reason),
      logRecycle: (worker, trigger, details) => effects.logRecycle(worker, trigger, details),
      logReplacementFailed: (old, replacement) => effects.logReplacementFailed(old, replacement),
    };
    this.#recycler = new Recycler(host);
    this.#sweep = new RequestSweep<W, R>({
      get config() { return core.#config; },
      get workers() { return core.#workers; },
      queue: this.queue,
      refusal: (reason) => this.refusal(reason),
      countRefusal: (reason) => this.countRefusal(reason),
      isRecycling: (w) => this.#recycler.isRecycling(w),
    }, effects);
    this.#checks = new WorkerChecks<W>({
      get config() { return core.#config; },
      get workers() { return core.#workers; },
      isRecycling: (w) => this.#recycler.isRecycling(w),
      recycleWorker: (w, trigger, details) => this.recycleWorker(w, trigger, details),
    }, effects);
  }

  get config(): PoolConfig {
    return this.#config;
  }
  get state(): PoolState {
    return this.#state;
  }
  get stopReason(): PoolStopReason {
    return this.#stopReason;
  }
  /** The pool's workers (orphans excluded), in start order. */
  get workers(): readonly W[] {
    return this.#workers;
  }
  /** Requests granted a worker since the pool was made. */
  get requests(): number {
    return this.#requests + (this.#counted?.requests() ?? 0);
  }
  /** Refused requests by reason. */
  get refused(): Readonly<Record<string, number>> {
    if (this.#counted === null) return this.#refused;
    const out: Record<string, number> = { ...this.#refused };
    for (const [k, n] of Object.entries(this.#counted.refused())) out[k] = (out[k] ?? 0) + n;
    return out;
  }
  /** Whether the pool can take a request now (for /health/pools/:name). */
  get available(): boolean {
    return this.#state === 'started' && !this.queue.full;
  }
  /** Workers in a row that exited before they became ready (0 once one is): a crash loop at start. */
  get startFailures(): number {
    return this.#startFailures;
  }
  /** Failures in the rapid-fail window now. */
  recentFailures(): number {
    return this.#rapidFail.count(this.#now());
  }
  /** Whether `worker` is queued for, or in, a recycle. */
  isRecycling(worker: W): boolean {
    return this.#recycler.isRecycling(worker);
  }

  // ---- pool life cycle ---------------------------------------------------------------------

  /** started: takes requests again; false when it was not stopped. Call ensureWorkers() after. */
  start(): boolean {
    if (this.#state !== 'stopped') return false;
    this.#state = transitionPool(this.#state, 'started');
    this.#stopReason = null;
    this.#rapidFail.clear();
    this.#startFailures = 0;
    return true;
  }

  /** stopping: refuses queued and new requests; false when it was not started. The shell drains the workers, then calls stopped(). */
  stop(reason: Exclude<PoolStopReason, null>): boolean {
    if (this.#state !== 'started') {
      if (this.#state === 'stopped' && reason !== 'admin') this.#stopReason = reason;
      return false;
    }
    this.#state = transitionPool(this.#state, 'stopping');
    this.#stopReason = reason;
    this.#retryPending = false;
    this.#recycler.clear();
    this.queue.refuseAll(this.refusal());
    return true;
  }

  /** Every worker has drained. */
  stopped(): void {
    this.#state = transitionPool(this.#state, 'stopped');
  }

  /** How a stopped pool answers (loadBalancerCapabilities). */
  refusal(reason?: RefusalReason): Refusal {
    const r = reason ?? stopReasonRefusal[this.#stopReason ?? 'admin'];
    return { reason: r, reset: this.#config.failure.loadBalancerCapabilities === 'TcpLevel' && r !== 'QueueFull' };
  }

  /**
   * Applies a changed configuration; the caller decides whether to recycle. A garden made smaller
   * drains the workers past the new maxProcesses (overlapping: their requests in hand finish);
   * returns them.
   */
  reconfigure(config: PoolConfig): W[] {
    const f = this.#config.failure;
    const g = config.failure;
    this.#config = config;
    this.queue.capacity = config.queueLength;
    // A reload keeps the failures counted so far unless the protection itself changed.
    if (f.rapidFailProtection !== g.rapidFailProtection || f.rapidFailProtectionInterval !== g.rapidFailProtectionInterval || f.rapidFailProtectionMaxCrashes !== g.rapidFailProtectionMaxCrashes) {
      this.#rapidFail = makeWindow(config);
    }
    if (this.#state !== 'started') return [];
    const past = workersPastMax(this.active(), config.processModel.maxProcesses);
    for (const w of past) this.#effects.drainWorker(w, `maxProcesses lowered to ${config.processModel.maxProcesses}`);
    return past;
  }

  // ---- requests ----------------------------------------------------------------------------

  /** A ready worker for a request now, a refusal, or null when the waiter was queued. */
  acquire(waiter: Waiter): W | Refusal | null {
    if (this.#state !== 'started') return this.#refuse(this.refusal());
    const worker = this.#pick(waiter.exclude);
    if (worker !== null) {
      this.#requests++;
      // A web garden grows under traffic, one worker at a time, up to maxProcesses.
      if (this.#config.processModel.maxProcesses > 1) this.#demandStart();
      return worker;
    }
    // Every worker is busy or at its concurrency limit (load shedding): queue, or refuse at once when the queue is full.
    if (this.queue.full) return this.#refuse(this.refusal('QueueFull'));
    this.queue.push(waiter, this.#now());
    this.#demandStart();
    return null;
  }

  #refuse(refusal: Refusal): Refusal {
    this.countRefusal(refusal.reason);
    return refusal;
  }

  /** Counts a refused request (the pool's own refusals, and those the front door decides, e.g. a retry exhausted). */
  countRefusal(reason: RefusalReason): void {
    this.#refused[reason] = (this.#refused[reason] ?? 0) + 1;
  }

  /** A queued request gave up (its client went away). */
  cancel(waiter: Waiter): void {
    this.queue.remove(waiter);
  }

  /** A request on `worker` ended: the request limit may recycle it, and the queue moves. */
  released(worker: W): void {
    const due = requestsTrigger(this.#config.recycling.periodicRestart.requests, worker.requests);
    if (due !== null && worker.state === 'ready' && !this.#recycler.isRecycling(worker)) this.recycleWorker(worker, due.trigger, due.details);
    if (this.queue.length > 0) {
      // A waiter whose queueTimeout passed since the last tick is refused, not served late.
      this.#sweep.expireQueue(this.#now());
      this.#dispatch();
    }
  }

  #dispatch(): void {
    this.queue.dispatch(this.#pick, this.#grant);
    // Requests still wait while workers are ready: each is at its per-worker limit (a FastCGI
    // worker takes one at a time), so a web garden grows as it does on an arrival.
    if (this.queue.length > 0 && requestsPerWorker(this.#config.protocol, this.#config.processModel.maxConcurrentRequestsPerWorker) > 0 && this.#workers.some((w) => w.state === 'ready' && !w.hung)) {
      this.#demandStart();
    }
  }

  // ---- workers -----------------------------------------------------------------------------

  /** Workers that count toward maxProcesses now. */
  active(): W[] {
    const strict = this.#config.recycling.disallowOverlappingRotation;
    return this.#workers.filter((w) => countsTowardMax(w.state, this.#recycler.isReplaced(w), strict));
  }

  #start(replacementFor: W | null): W | null {
    const worker = this.#effects.startWorker(replacementFor);
    if (worker === null) return null;
    this.#workers.push(worker);
    if (replacementFor !== null) this.#replaces.set(worker, replacementFor);
    return worker;
  }

  /** A front-door thread holds a request that waits, or a web garden is under traffic: start one more worker if the pool may. */
  demand(): void {
    this.#demandStart();
  }

  /** Whether a demand would start a worker now (the threads ask only then). */
  get wouldGrow(): boolean {
    return this.#state === 'started' && !this.#retryPending && demandStart(this.active(), this.#config.processModel.maxProcesses);
  }

  /** Starts a worker for waiting requests, while below maxProcesses (on-demand start). */
  #demandStart(): void {
    if (this.#state !== 'started' || this.#retryPending) return;
    if (demandStart(this.active(), this.#config.processModel.maxProcesses)) this.#start(null);
  }

  /** AlwaysRunning pools keep maxProcesses workers; OnDemand pools start for the queue. */
  ensureWorkers(): void {
    if (this.#state !== 'started') return;
    if (this.#config.startMode === 'AlwaysRunning') {
      while (this.active().length < this.#config.processModel.maxProcesses && !this.#retryPending) {
        if (this.#start(null) === null) return;
      }
    }
    if (this.queue.length > 0) this.#demandStart();
  }

  /** The back-off delay is over. */
  retryStarts(): void {
    this.#retryPending = false;
    this.ensureWorkers();
  }

  /** `worker` became ready. */
  ready(worker: W): void {
    this.#startFailures = 0;
    const old = this.#replaces.get(worker);
    if (old !== undefined && isLive(old.state)) this.#effects.drainWorker(old, 'recycled');
    this.#dispatch();
    this.#recycler.settled(worker);
  }

  /** `worker` left the pool's care alive (orphaned); its exit is still reported to exited(). */
  forget(worker: W): void {
    const at = this.#workers.indexOf(worker);
    if (at !== -1) this.#workers.splice(at, 1);
  }

  /** `worker` exited (the shell has written its event). */
  exited(worker: W, exit: ExitSummary, poison = false): void {
    this.forget(worker);
    if (!exit.expected) {
      if (exit.stateBefore === 'starting') this.#startFailures++;
      // A poison request's second death is the same failure as its first: it counts once.
      if (!poison) this.failure('crash');
    }
    const old = this.#replaces.get(worker);
    if (exit.stateBefore === 'starting' && old !== undefined && isLive(old.state)) this.#recycler.replacementFailed(old, worker);
    this.#recycler.settled(worker);
    this.#afterExit();
    // A non-overlapping recycle waited for this exit to start the replacement.
    this.#recycler.exited(worker);
  }

  #afterExit(): void {
    if (this.#state !== 'started') return;
    // Crash loops back off (100 ms doubling to 5 s) so a worker that dies at start does not spin.
    if (this.#startFailures > 0 && (this.queue.length > 0 || this.#config.startMode === 'AlwaysRunning')) {
      if (!this.#retryPending) {
        this.#retryPending = true;
        this.#effects.retryStartsIn(startBackoffMs(this.#startFailures));
      }
      return;
    }
    this.ensureWorkers();
    this.#dispatch();
  }

  /** Counts a failure toward rapid-fail protection; true when it stopped the pool. */
  failure(kind: FailureKind): boolean {
    const now = this.#now();
    if (!this.#rapidFail.record(kind, now) || this.#state !== 'started') return false;
    this.stop('rapidFail');
    this.#effects.rapidFailTripped(this.#rapidFail.recent(now));
    return true;
  }

  /**
   * `worker` missed a ping: it counts as a failure, stops counting toward maxProcesses, and a
   * replacement starts at once unless that failure stopped the pool. Returns what to do with the
   * hung worker (capture, kill or orphan).
   */
  missedPing(worker: W, orphansNow: number, poison = false): MissedPingPlan {
    this.#recycler.markReplaced(worker);
    // A poison request's second death is the same failure as its first: it counts once.
    const stopped = poison ? false : this.failure('pingMissed');
    const plan = planMissedPing(this.#config.failure, this.#config.diagnostics, stopped, orphansNow);
    const pm = this.#config.processModel;
    if (plan.replace && this.#state === 'started' && replaceAtOnce(this.active(), pm.maxProcesses, this.#config.startMode, this.queue.length)) this.#start(null);
    return plan;
  }

  /**
   * `worker` reported itself unhealthy (IIS HSE_REQ_REPORT_UNHEALTHY): it is recycled. Within
   * startupTimeLimit of becoming ready it is sick from its start, and that counts as a failure,
   * so a worker that says so after every start ends in rapid-fail instead of recycling forever.
   */
  reportedUnhealthy(worker: W, reason: string, details: Record<string, unknown>): void {
    const now = this.#now();
    if (unhealthyAtStart(worker.readyAt, this.#config.processModel.startupTimeLimit, now)) {
      this.#effects.logUnhealthyAtStart(worker, reason, now - worker.readyAt);
      if (this.failure('unhealthyAtStart')) return;
    }
    this.recycleWorker(worker, 'IsapiUnhealthy', { reason, ...details });
  }

  // ---- recycling ---------------------------------------------------------------------------

  /** Recycles every worker of the pool (admin, schedule, config change), one at a time. */
  recycle(trigger: RecycleTrigger, details: Record<string, unknown> = {}): void {
    if (this.#state === 'started') this.#recycler.recycleAll(trigger, details);
  }

  /** Queues one worker for recycling; the recycle runs when no other one does. */
  recycleWorker(worker: W, trigger: RecycleTrigger, details: Record<string, unknown>, options: { event?: boolean } = {}): void {
    this.#recycler.recycle(worker, trigger, details, options);
  }

  /**
   * Periodic work (the host's tick): the request limits (queue wait, response time, blocked
   * requests), idle timeout, time and memory triggers (worker-checks.ts), AlwaysRunning. One pass
   * per tick for every request of the pool, instead of a timer per request.
   */
  tick(now: number, memory: MemoryProbe<W>, held: HeldProbe<W, R> = () => []): void {
    if (this.#state !== 'started') return;
    this.#sweep.sweep(now, held);
    this.#checks.run(now, memory);
    if (this.#config.startMode === 'AlwaysRunning') this.ensureWorkers();
  }

  /** Checks the invariants stated at the top of this file; throws on a violation. */
  verifyInvariants(name: string): void {
    if (!this.queue.local) return; // the threads hold the queue: they keep its invariants
    if (this.#state === 'stopped') {
      if (this.queue.length > 0) throw new Error(`pool ${name}: stopped with ${this.queue.length} queued`);
      if (this.#workers.some((w) => isLive(w.state) && w.state !== 'draining')) throw new Error(`pool ${name}: stopped with a live worker`);
    }
    if (this.#state === 'started' && this.queue.waitingForAny && this.#pick(null) !== null) {
      throw new Error(`pool ${name}: requests queued while a ready worker is free`);
    }
  }
}

function makeWindow(config: PoolConfig): RapidFailWindow {
  return new RapidFailWindow({
    enabled: config.failure.rapidFailProtection,
    intervalMs: config.failure.rapidFailProtectionInterval,
    maxFailures: config.failure.rapidFailProtectionMaxCrashes,
  });
}
