/**
 * An application pool: the unit of isolation and policy (IIS app pool). This is the shell: it
 * carries out what the pure core (pool-core.ts) decides — starts, drains, kills and orphans worker
 * processes, writes the events, runs the timers (schedule, back-off, CPU) — and hands the front door
 * a lease for each request. Every decision, and the invariants, are the core's. Beside it: a
 * worker's start (start-checks.ts, worker-start.ts), the listeners on it (worker-wiring.ts), its
 * events and output (worker-events.ts, worker-output.ts), cgroups (pool-cgroup.ts, child-oom-watch.ts).
 */
import type { PoolConfig } from '../config/types.ts';
import type { EventLog } from '../events/event-log.ts';
import { EventIds } from '../events/event-ids.ts';
import type { PoolOutputLog } from '../events/output-log.ts';
import { WorkerProcess, type ExitFacts } from '../supervisor/worker-process.ts';
import type { Identity } from '../supervisor/identity.ts';
import { checkStart } from './start-checks.ts';
import { runAction } from '../supervisor/run-action.ts';
import type { PoolState, PoolStopReason } from './pool-state.ts';
import { snapshotOf, type PoolSnapshot } from './pool-snapshot.ts';
import { PoolCore, type MemoryProbe, type PoolEffects } from './pool-core.ts';
import { Lease, type LeaseOutcome, type Refusal, type RefusalReason, type Waiter } from './lease.ts';
import { RequestEvents, labelsListed, listed } from './request-events.ts';
import { Orphanage } from './orphanage.ts';
import type { FailureRecord } from './policy/rapid-fail.ts';
import type { RecycleTrigger } from './policy/recycle-policy.ts';
import { recycleEventId } from './policy/recycle-policy.ts';
import { ScheduleTimer } from './schedule-timer.ts';
import { CpuLimiter } from './cpu-limiter.ts';
import { WorkerOutput } from './worker-output.ts';
import { startSequence, type WorkerStartHost } from './worker-start.ts';
import { wireWorker, type WorkerWiringHost } from './worker-wiring.ts';
import type { HostCgroups } from '../supervisor/cgroups/host-cgroups.ts';
import { PoolCgroup } from './pool-cgroup.ts';
import { ChildOomWatch } from './child-oom-watch.ts';
import { idleEvent, replacementFailedEvent, type WorkerEvent } from './worker-events.ts';
import type { ThreadDispatch } from '../dispatch/thread-dispatch.ts';
import { PoolLink } from './pool-link.ts';

/** What a pool needs from the host: the event log, output logs, a run directory, diagnostics. */
export interface PoolServices {
  readonly events: EventLog;
  readonly output: PoolOutputLog;
  /** Directory for worker unix sockets. */
  readonly runDir: string;
  /** The clock (epoch ms) of the pool, its core and its workers. */
  readonly now: () => number;
  readonly diagnostics: PoolDiagnostics;
  /** The identity a pool's workers run as (src/supervisor/pool-identities.ts); throws IdentityError. */
  identityOf(pool: PoolConfig): Identity;
  /** The host's cgroups (a cgroup per pool, one per worker inside it); null or disabled: process groups only. */
  readonly cgroups?: HostCgroups | null;
  /** With front-door threads: the shared table the threads grant workers from (null: the front door is on this thread). */
  readonly dispatch?: ThreadDispatch | null;
}

/** The diagnostics hooks a pool calls; the diagnostics module implements them. */
export interface PoolDiagnostics {
  nodeOptions(pool: PoolConfig): readonly string[];
  extraEnv(pool: PoolConfig, workerId: string): Readonly<Record<string, string>>;
  /** After an unexpected exit; must not delay the replacement (runs in the background). `poison`: requests in hand at this and an earlier death. */
  onCrash(worker: WorkerProcess, facts: ExitFacts, crashEventSeq: number, poison?: readonly string[]): void;
  /** Before a hung worker is killed or orphaned, or a worker with blocked requests is recycled; bounded in time. */
  captureHang(worker: WorkerProcess, cause?: HangCause): Promise<void>;
}

/** Why a hang report is taken when it is not a missed ping: requests blocked on a worker that still answers pings. */
export interface HangCause {
  readonly type: string;
  readonly message: string;
  readonly eventSeq: number | null;
}

type EventExtra = { worker?: WorkerProcess; details?: Record<string, unknown>; level?: 'info' | 'warning' | 'error' };

/** The worker's cgroup (the whole tree), or /proc without one; read only when a limit asks for it. */
const memoryProbe: MemoryProbe<WorkerProcess> = {
  virtualBytes: (w) => w.stats()?.virtualBytes ?? null,
  privateBytes: (w) => w.privateBytes(),
};

let workerSeq = 0;

/** One application pool. */
export class Pool {
  readonly #services: PoolServices;
  readonly #core: PoolCore<WorkerProcess, Lease>;
  readonly #orphanage = new Orphanage((id, message, extra) => void this.#event(id, message, extra));
  readonly #cpu: CpuLimiter;
  #schedule: ScheduleTimer | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  readonly #requestEvents = new RequestEvents((id, message, extra) => this.#event(id, message, extra), () => this.config);
  readonly #leaseEnded = (worker: WorkerProcess, lease: Lease, outcome: LeaseOutcome): void => {
    this.#requestEvents.leaseEnded(worker, lease, outcome);
    this.#core.released(worker);
  };
  /** The leases of `worker` in grant order, for the core's sweep (every request in hand is a Lease). */
  readonly #held = (worker: WorkerProcess): Iterable<Lease> => worker.inHand as ReadonlySet<Lease>;
  readonly #output: WorkerOutput;
  readonly #cgroup: PoolCgroup;
  readonly #starts: WorkerStartHost;
  readonly #wiring: WorkerWiringHost;
  readonly #childOoms = new ChildOomWatch((w, e) => void this.#workerEvent(w, e));
  /** The link to the front-door threads, when they grant the workers. */
  readonly #link: PoolLink | null;

  constructor(config: PoolConfig, services: PoolServices) {
    this.#services = services;
    this.#output = new WorkerOutput(services.output);
    this.#cgroup = new PoolCgroup(services.cgroups ?? null, () => this.config, (message, err) => {
      this.#event(EventIds.InternalError, message, { level: 'warning', details: { error: err.message } });
    });
    const pool = this;
    this.#link = services.dispatch ? new PoolLink(services.dispatch, config, {
      get core() { return pool.#core; },
      requestEvents: this.#requestEvents,
      now: services.now,
      applicationStderr: (workerId, data) => this.applicationStderr(workerId, data),
      blocked: (worker, labels) => void this.#onBlocked(worker, labels),
      drainTimedOut: (worker, limitMs) => void worker.drain(`requestTimeout: a FastCGI request ran past ${limitMs} ms`),
    }) : null;
    this.#core = new PoolCore(config, services.now, this.#effects(), this.#link === null ? null : { queue: this.#link.queue, counts: this.#link.counts });
    this.#starts = {
      runDir: services.runDir,
      cgroup: this.#cgroup,
      output: this.#output,
      diagnostics: services.diagnostics,
      workerEvent: (w, e) => void this.#workerEvent(w, e),
    };
    this.#wiring = {
      get config() { return pool.config; },
      core: this.#core,
      requestEvents: this.#requestEvents,
      event: (id, message, extra) => this.#event(id, message, extra),
      workerEvent: (w, e) => this.#workerEvent(w, e),
      diagnostics: services.diagnostics,
      onPingMissed: (w) => this.#onPingMissed(w),
      recycleWorker: (w, trigger, details, options) => this.recycleWorker(w, trigger, details, options),
      settle: services.dispatch ? (w) => this.#link!.settle(w) : null,
    };
    this.#cpu = new CpuLimiter({
      get name() { return pool.name; },
      get config() { return pool.config; },
      get state() { return pool.state; },
      get stopReason() { return pool.stopReason; },
      get workers() { return pool.workers; },
      event: (id, message, extra) => void this.#event(id, message, extra),
      stopBySelf: () => this.#stopBySelf('cpuLimit'),
      start: () => this.start(false),
      setCpuQuota: (cpus) => this.#cgroup.setCpuQuota(cpus),
      throttledCount: () => this.#cgroup.throttledCount(),
    });
  }

  get name(): string {
    return this.#core.config.name;
  }
  get config(): PoolConfig {
    return this.#core.config;
  }
  get state(): PoolState {
    return this.#core.state;
  }
  get stopReason(): PoolStopReason {
    return this.#core.stopReason;
  }
  /** The pool's workers (orphans excluded). */
  get workers(): readonly WorkerProcess[] {
    return this.#core.workers;
  }
  /** Whether the pool can take a request now (for /health/pools/:name). */
  get available(): boolean {
    return this.#core.available;
  }

  #event(id: number, message: string, extra: EventExtra = {}): number {
    const e = this.#services.events.write({
      id,
      message,
      level: extra.level,
      pool: this.name,
      worker: extra.worker?.id ?? null,
      pid: extra.worker?.pid ?? null,
      details: extra.details ?? {},
    });
    return e.seq;
  }

  // ---- pool life cycle -------------------------------------------------------------------

  /** Starts the pool: it takes requests again; AlwaysRunning pools start their workers now. */
  start(byAdmin: boolean): void {
    if (!this.#core.start()) return;
    this.#link?.publish();
    this.#cpu.cancelRestart();
    if (byAdmin) this.#event(EventIds.PoolStartedByAdmin, `Application pool '${this.name}' was started by an administrator.`);
    this.#armSchedule();
    this.#core.ensureWorkers();
  }

  /** Stops the pool: refuses queued and new requests, drains every worker. */
  async stop(reason: Exclude<PoolStopReason, null>, options: { event?: boolean; why?: string } = {}): Promise<void> {
    if (!this.#core.stop(reason)) return;
    await this.#windDown(reason, options);
  }

  /** The pool is stopping (the core says so): timers stop, every worker drains. */
  async #windDown(reason: Exclude<PoolStopReason, null>, options: { event?: boolean; why?: string } = {}): Promise<void> {
    this.#schedule?.stop();
    this.#schedule = null;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#cpu.stopThrottle();
    if (reason === 'admin' && options.event !== false) {
      this.#event(EventIds.PoolStoppedByAdmin, `Application pool '${this.name}' was stopped by an administrator.`);
    }
    await Promise.all(this.workers.map((w) => w.drain(options.why ?? `pool stopped (${reason})`)));
    this.#core.stopped();
    this.#link?.publish();
  }

  /** Host shutdown: stop, and kill every orphan (they must not outlive the host). */
  async shutdown(): Promise<void> {
    await this.stop('config', { event: false, why: 'host stopping' });
    await this.#orphanage.killAll();
  }

  /** A stop the host decides by itself (IIS: rapid-fail, CPU limit, identity) runs autoShutdownAction. */
  #stopBySelf(reason: 'cpuLimit' | 'identity' | 'config'): void {
    if (!this.#core.stop(reason)) return;
    void this.#windDown(reason);
    this.#autoShutdownAction();
  }

  #autoShutdownAction(): void {
    const action = this.config.failure.autoShutdownAction;
    if (!action) return;
    void runAction(action.map((a) => a.replaceAll('{pool}', this.name)), this.config.cwd, this.config.failure.autoShutdownActionTimeLimit).then((r) => {
      this.#event(EventIds.AutoShutdownActionRan, `autoShutdownAction for pool '${this.name}' exited with ${r.error ?? `code ${r.code}`}.`, {
        details: { action, exitCode: r.code, output: r.output, error: r.error },
      });
    });
  }

  /** How a stopped pool answers (loadBalancerCapabilities). */
  refusal(reason?: RefusalReason): Refusal {
    return this.#core.refusal(reason);
  }

  // ---- the front door's side -------------------------------------------------------------

  /** A lease on a ready worker now, a refusal, or null when the waiter was queued (it gets `grant` or `refuse` later). */
  acquire<C>(waiter: Waiter<C>): Lease<C> | Refusal | null {
    const r = this.#core.acquire(waiter);
    if (r === null || !(r instanceof WorkerProcess)) return r;
    return new Lease(r, waiter, this.#leaseEnded, this.#services.now());
  }

  /** A queued request gave up (client went away). */
  cancel(waiter: Waiter): void {
    this.#core.cancel(waiter);
  }

  /** Counts a refused request the front door decided on itself (e.g. retry exhausted). */
  countRefusal(reason: RefusalReason): void {
    this.#core.countRefusal(reason);
  }

  // ---- carrying out the core's decisions ---------------------------------------------------

  #effects(): PoolEffects<WorkerProcess, Lease> {
    return {
      startWorker: (replacementFor) => this.#startWorker(replacementFor),
      drainWorker: (worker, reason) => void worker.drain(reason),
      grant: (waiter, worker) => waiter.grant(new Lease(worker, waiter, this.#leaseEnded, this.#services.now())),
      suspendWorker: (w, idleMs) => {
        if (w.suspend()) this.#workerEvent(w, idleEvent(w, this.config.processModel.idleTimeout, 'Suspend', idleMs));
      },
      shutDownIdle: (w, idleMs) => {
        this.#workerEvent(w, idleEvent(w, this.config.processModel.idleTimeout, 'Terminate', idleMs));
        void w.drain('idle timeout');
      },
      retryStartsIn: (delayMs) => {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = null;
          this.#core.retryStarts();
        }, delayMs);
        this.#retryTimer.unref();
      },
      rapidFailTripped: (failures) => this.#rapidFailTripped(failures),
      requestsTimedOut: (worker, leases, limitMs) => {
        this.#requestEvents.timedOut(worker, leases, limitMs);
        // A php-cgi still runs the script the front door gave up on, and would leave the next
        // request waiting behind it: as IIS's FastCGI module ends a process past requestTimeout,
        // it takes no new request and stops now (php-cgi ends its script on SIGTERM); requests go
        // to the others, or to one started for them.
        if (this.config.protocol === 'fastcgi') void worker.drain(`requestTimeout: a FastCGI request ran past ${limitMs} ms`);
      },
      logQueueTimeout: (count, limitMs) => this.#requestEvents.queueTimedOut(count, limitMs),
      blockedWorker: (worker, leases) => void this.#onBlocked(worker, leases.map((l) => l.label)),
      logUnhealthyAtStart: (worker, reason, sinceReadyMs) => this.#requestEvents.unhealthyAtStart(worker, reason, sinceReadyMs),
      logRecycle: (worker, trigger, details) => this.#logRecycle(worker, trigger, details),
      logReplacementFailed: (old, replacement) => void this.#workerEvent(old, replacementFailedEvent(old, replacement)),
    };
  }

  #rapidFailTripped(failures: readonly FailureRecord[]): void {
    const f = this.config.failure;
    this.#event(EventIds.RapidFailStopped, `Application pool '${this.name}' was stopped by rapid-fail protection: ${f.rapidFailProtectionMaxCrashes} failures within ${f.rapidFailProtectionInterval} ms.`, {
      details: { failures: failures.map((r) => ({ kind: r.kind, at: new Date(r.at).toISOString() })), loadBalancerCapabilities: f.loadBalancerCapabilities },
    });
    void this.#windDown('rapidFail');
    this.#autoShutdownAction();
  }

  /** A worker holds blockedRequestLimit stuck requests: its hang report first, then an overlapping recycle (5078). */
  async #onBlocked(worker: WorkerProcess, labels: readonly string[]): Promise<void> {
    const f = this.config.failure;
    const reason = `${labels.length} requests blocked longer than blockedRequestTime (${f.blockedRequestTime} ms): ${listed(labels)}`;
    await this.#withHeld(worker, () => this.#services.diagnostics.captureHang(worker, { type: 'blocked requests', message: reason, eventSeq: null }));
    this.recycleWorker(worker, 'IsapiUnhealthy', {
      reason,
      blockedRequests: labels.slice(0, labelsListed),
      blockedRequestLimit: f.blockedRequestLimit,
      blockedRequestTimeMs: f.blockedRequestTime,
    });
  }

  #logRecycle(worker: WorkerProcess | null, trigger: RecycleTrigger, details: Record<string, unknown>): void {
    const who = worker ? `worker ${worker.id} (pid ${worker.pid})` : 'the pool';
    const reason = typeof details.reason === 'string' ? `: ${details.reason}` : '';
    this.#event(recycleEventId(trigger), `Recycling ${who} of pool '${this.name}' (${trigger}${reason}).`, {
      worker: worker ?? undefined,
      level: 'warning',
      details: { trigger, ...details },
    });
  }

  #startWorker(replacementFor: WorkerProcess | null): WorkerProcess | null {
    const config = this.config;
    const cleared = checkStart(config, (p) => this.#services.identityOf(p));
    if (!cleared.ok) {
      this.#event(cleared.event, cleared.message, { details: cleared.details, ...(cleared.level ? { level: cleared.level } : {}) });
      this.#stopBySelf(cleared.stopReason);
      return null;
    }
    const held = this.#link?.held();
    const worker = new WorkerProcess(`${this.name}-${++workerSeq}`, config, this.#services.now, held);
    if (held !== undefined) this.#link!.attach(worker, held);
    wireWorker(worker, this.#wiring);
    startSequence(worker, config, cleared, replacementFor, this.#starts);
    return worker;
  }

  /** What a FastCGI worker's request wrote to FCGI_STDERR (the front door reads the records). */
  applicationStderr(workerId: string, data: Buffer): void {
    this.#output.applicationStderr(workerId, data);
  }

  #workerEvent(worker: WorkerProcess, e: WorkerEvent): number {
    return this.#event(e.id, e.message, { worker, details: e.details, ...(e.level ? { level: e.level } : {}) });
  }

  /** A hang report; with front-door threads, it lists the requests they hold on the worker. */
  #withHeld(worker: WorkerProcess, capture: () => Promise<void>): Promise<void> {
    const guarded = (): Promise<void> => capture().catch(() => {});
    return this.#link === null ? guarded() : this.#link.withHeld(worker, guarded);
  }

  /** A missed ping (its event written): the core decides; the hung worker is captured, then killed or orphaned. */
  async #onPingMissed(worker: WorkerProcess): Promise<void> {
    // The replacement starts at once (the core decides), and the hung worker takes no new request
    // while its stacks are captured.
    const poison = this.#requestEvents.poisonOn(worker);
    const plan = this.#core.missedPing(worker, this.#orphanage.orphans.length, poison.length > 0);
    if (poison.length > 0) this.#requestEvents.poison(worker, poison);
    if (plan.capture) await this.#withHeld(worker, () => this.#services.diagnostics.captureHang(worker));
    if (plan.dispose === 'orphan') {
      this.#core.forget(worker);
      this.#orphanage.adopt(worker, this.config, plan.orphansToKill);
    } else {
      worker.expectExit('pingMissed');
      worker.kill();
    }
  }

  // ---- recycling -------------------------------------------------------------------------

  /** Recycles every worker of the pool (admin, schedule, config change), one at a time. */
  recycle(trigger: RecycleTrigger, details: Record<string, unknown> = {}): void {
    this.#core.recycle(trigger, details);
  }

  /** Queues one worker for recycling; the recycle runs when no other one does. */
  recycleWorker(worker: WorkerProcess, trigger: RecycleTrigger, details: Record<string, unknown>, options: { event?: boolean } = {}): void {
    this.#core.recycleWorker(worker, trigger, details, options);
  }

  #armSchedule(): void {
    this.#schedule?.stop();
    this.#schedule = null;
    const schedule = this.config.recycling.periodicRestart.schedule;
    if (schedule.length === 0) return;
    this.#schedule = new ScheduleTimer(schedule, this.config.recycling.recycleJitter, (at) => {
      this.recycle('Schedule', { scheduled: at });
    });
  }

  /** Periodic work: idle timeout, time and memory triggers, the CPU limit. Called by the host's tick. */
  tick(now: number): void {
    this.#link?.tick();
    if (this.state !== 'started') return;
    this.#core.tick(now, memoryProbe, this.#held);
    this.#cpu.tick(now);
    this.#childOoms.tick(now, this.config.limits.memory, this.workers);
  }

  /** Applies a changed configuration; the caller decides whether to recycle. */
  reconfigure(config: PoolConfig): void {
    const before = this.config.processModel.maxProcesses;
    const drained = this.#core.reconfigure(config);
    this.#link?.reconfigure(config);
    this.#cgroup.node(); // the kernel limits follow the new configuration
    if (drained.length > 0) {
      const max = config.processModel.maxProcesses;
      this.#event(EventIds.WebGardenShrunk, `Pool '${this.name}' has maxProcesses ${max} (was ${before}): ${drained.length} worker(s) drain, finishing the requests in hand (${drained.map((w) => `${w.id} pid ${w.pid}`).join(', ')}).`, {
        details: { maxProcesses: max, was: before, workers: drained.map((w) => w.id) },
      });
    }
    if (this.state === 'started') this.#armSchedule();
  }

  /** The pool left the configuration (after its shutdown): the front-door threads forget it. */
  detach(): void {
    this.#link?.remove();
  }

  /** A read-only view for the admin API. */
  inspect(): PoolSnapshot {
    return snapshotOf(this.#core, this.#orphanage.orphans);
  }

  /** Checks the core's invariants (pool-core.ts); throws on a violation. */
  verifyInvariants(): void {
    this.#core.verifyInvariants(this.name);
  }
}

export type { RecycleTrigger };
