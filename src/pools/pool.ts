/**
 * An application pool: the unit of isolation and policy (IIS app pool). It owns its workers, its
 * queue and its failure window, and decides when to start, recycle, orphan and stop workers.
 *
 * Invariants (checked by verifyInvariants(), which tests call):
 * - a stopped pool has no queued request and no live worker;
 * - if the queue holds a request that excludes no worker, no ready healthy worker is free to take it;
 * - at most one recycle runs at a time, so a web garden never drops below N-1 ready workers.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PoolConfig } from '../config/types.ts';
import type { PoolSnapshot, PoolState, PoolStopReason } from '../admin/host-control.ts';
import type { EventLog } from '../events/event-log.ts';
import { EventIds } from '../events/event-ids.ts';
import type { PoolOutputLog } from '../events/output-log.ts';
import { WorkerProcess, type ExitFacts } from '../supervisor/worker-process.ts';
import { buildSpawnSpec, type WorkerAddress } from '../supervisor/spawn-spec.ts';
import { resolveIdentity, IdentityError, type Identity } from '../supervisor/identity.ts';
import { isLive } from '../supervisor/worker-state.ts';
import { runAction } from '../supervisor/run-action.ts';
import { Orphanage } from './orphanage.ts';
import { transitionPool } from './pool-state.ts';
import { RequestQueue, type Refusal, type RefusalReason, type Waiter } from './request-queue.ts';
import { RapidFailWindow, type FailureKind } from './policy/rapid-fail.ts';
import { planMissedPing } from './policy/ping-policy.ts';
import { periodicTrigger, type RecycleTrigger } from './policy/recycle-policy.ts';
import { Recycler } from './recycler.ts';
import { ScheduleTimer } from './schedule-timer.ts';
import { readProcessStats, readPrivateBytes } from '../supervisor/proc-stats.ts';
import { CpuLimiter } from './cpu-limiter.ts';

/** What a pool needs from the host: the event log, output logs, a run directory, diagnostics. */
export interface PoolServices {
  readonly events: EventLog;
  readonly output: PoolOutputLog;
  /** Directory for worker unix sockets. */
  readonly runDir: string;
  readonly now: () => number;
  readonly diagnostics: PoolDiagnostics;
}

/** The diagnostics hooks a pool calls; the diagnostics module implements them. */
export interface PoolDiagnostics {
  nodeOptions(pool: PoolConfig): readonly string[];
  extraEnv(pool: PoolConfig, workerId: string): Readonly<Record<string, string>>;
  /** After an unexpected exit; must not delay the replacement (runs in the background). */
  onCrash(worker: WorkerProcess, facts: ExitFacts, crashEventSeq: number): void;
  /** Before a hung worker is killed or orphaned; bounded in time. */
  captureHang(worker: WorkerProcess): Promise<void>;
}

const stopReasonRefusal: Record<Exclude<PoolStopReason, null>, RefusalReason> = {
  admin: 'Disabled',
  rapidFail: 'AppOffline',
  cpuLimit: 'AppShutdown',
  identity: 'AppOffline',
  config: 'Disabled',
};

let workerSeq = 0;

/** One application pool. */
export class Pool extends EventEmitter {
  config: PoolConfig;
  state: PoolState = 'stopped';
  stopReason: PoolStopReason = 'admin';
  readonly workers: WorkerProcess[] = [];
  readonly #orphanage = new Orphanage((id, message, extra) => void this.#event(id, message, extra));
  readonly queue: RequestQueue;
  requests = 0;
  readonly refused: Record<string, number> = {};
  readonly #services: PoolServices;
  #rapidFail: RapidFailWindow;
  readonly #recycler: Recycler;
  #startFailures = 0;
  #startDelay: NodeJS.Timeout | null = null;
  #schedule: ScheduleTimer | null = null;
  #lastPrivateSample = 0;
  readonly #cpu: CpuLimiter;

  constructor(config: PoolConfig, services: PoolServices) {
    super();
    this.config = config;
    this.#services = services;
    this.queue = new RequestQueue(config.queueLength);
    this.#rapidFail = this.#makeWindow(config);
    const pool = this;
    this.#cpu = new CpuLimiter({
      get name() { return pool.name; },
      get config() { return pool.config; },
      get state() { return pool.state; },
      get stopReason() { return pool.stopReason; },
      get workers() { return pool.workers; },
      event: (id, message, extra) => void this.#event(id, message, extra),
      stopBySelf: () => this.#stopBySelf('cpuLimit'),
      start: () => this.start(false),
    });
    this.#recycler = new Recycler({
      get name() { return pool.name; },
      get config() { return pool.config; },
      get state() { return pool.state; },
      get workers() { return pool.workers; },
      start: (replacementFor) => this.#startWorker(replacementFor),
      active: () => this.#active(),
      event: (id, message, extra) => void this.#event(id, message, extra),
    });
  }

  get name(): string {
    return this.config.name;
  }

  #makeWindow(config: PoolConfig): RapidFailWindow {
    return new RapidFailWindow({
      enabled: config.failure.rapidFailProtection,
      intervalMs: config.failure.rapidFailProtectionInterval,
      maxFailures: config.failure.rapidFailProtectionMaxCrashes,
    });
  }

  #event(id: number, message: string, extra: { worker?: WorkerProcess; details?: Record<string, unknown>; level?: 'info' | 'warning' | 'error' } = {}): number {
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
    if (this.state === 'started') return;
    if (this.state === 'stopping') return;
    this.state = transitionPool(this.state, 'started');
    this.stopReason = null;
    this.#cpu.cancelRestart();
    this.#rapidFail.clear();
    this.#startFailures = 0;
    if (byAdmin) this.#event(EventIds.PoolStartedByAdmin, `Application pool '${this.name}' was started by an administrator.`);
    this.#armSchedule();
    this.#ensureWorkers();
  }

  /** Stops the pool: refuses queued and new requests, drains every worker. */
  async stop(reason: Exclude<PoolStopReason, null>, options: { event?: boolean; why?: string } = {}): Promise<void> {
    if (this.state !== 'started') {
      if (this.state === 'stopped' && reason !== 'admin') this.stopReason = reason;
      return;
    }
    this.state = transitionPool(this.state, 'stopping');
    this.stopReason = reason;
    this.#schedule?.stop();
    this.#schedule = null;
    if (this.#startDelay) clearTimeout(this.#startDelay);
    this.#startDelay = null;
    this.#recycler.clear();
    this.#cpu.stopThrottle();
    this.queue.refuseAll(this.refusal());
    if (reason === 'admin' && options.event !== false) {
      this.#event(EventIds.PoolStoppedByAdmin, `Application pool '${this.name}' was stopped by an administrator.`);
    }
    await Promise.all(this.workers.map((w) => w.drain(options.why ?? `pool stopped (${reason})`)));
    this.state = transitionPool(this.state, 'stopped');
  }

  /** Host shutdown: stop, and kill every orphan (they must not outlive the host). */
  async shutdown(): Promise<void> {
    await this.stop('config', { event: false, why: 'host stopping' });
    await this.#orphanage.killAll();
  }

  /** How a stopped pool answers (loadBalancerCapabilities). */
  refusal(reason?: RefusalReason): Refusal {
    const r = reason ?? stopReasonRefusal[this.stopReason ?? 'admin'];
    return { reason: r, reset: this.config.failure.loadBalancerCapabilities === 'TcpLevel' && r !== 'QueueFull' };
  }

  // ---- the front door's side -------------------------------------------------------------

  /** A ready worker for a request now, a refusal, or null when the waiter was queued. */
  acquire(waiter: Waiter): WorkerProcess | Refusal | null {
    if (this.state !== 'started') return this.#refuse(this.refusal());
    const worker = this.#pick(waiter.exclude);
    if (worker !== null) {
      this.#grant(worker);
      // A web garden grows under traffic, one worker at a time, up to maxProcesses.
      if (this.config.processModel.maxProcesses > 1) this.#demandStart();
      return worker;
    }
    if (this.queue.full) return this.#refuse(this.refusal('QueueFull'));
    this.queue.push(waiter);
    this.#demandStart();
    return null;
  }

  #refuse(refusal: Refusal): Refusal {
    this.refused[refusal.reason] = (this.refused[refusal.reason] ?? 0) + 1;
    return refusal;
  }

  /** A queued request gave up (client went away). */
  cancel(waiter: Waiter): void {
    this.queue.remove(waiter);
  }

  /** A request on `worker` finished (answered, failed, or abandoned). */
  release(worker: WorkerProcess): void {
    worker.requestDone();
    const limit = this.config.recycling.periodicRestart.requests;
    if (limit > 0 && worker.requests >= limit && worker.state === 'ready' && !worker.recycling) {
      this.recycleWorker(worker, 'Requests', { requests: worker.requests, limit });
    }
    if (this.queue.length > 0) this.#dispatch();
  }

  /** Counts a refused request the front door decided on itself (e.g. retry exhausted). */
  countRefusal(reason: RefusalReason): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
  }

  #grant(worker: WorkerProcess): void {
    if (worker.state === 'suspended') worker.thaw();
    worker.inFlight++;
    worker.requests++;
    worker.lastActivityAt = this.#services.now();
    this.requests++;
  }

  /** Least outstanding requests among ready workers, healthy ones first (DESIGN §5). */
  #pick(exclude: WorkerProcess | null): WorkerProcess | null {
    let best: WorkerProcess | null = null;
    for (const w of this.workers) {
      if ((w.state !== 'ready' && w.state !== 'suspended') || w === exclude || w.hung) continue;
      if (best === null) {
        best = w;
        continue;
      }
      const wh = w.health === 'healthy' ? 0 : 1;
      const bh = best.health === 'healthy' ? 0 : 1;
      if (wh < bh || (wh === bh && w.inFlight < best.inFlight)) best = w;
    }
    return best;
  }

  #dispatch(): void {
    this.queue.dispatch((exclude) => {
      const w = this.#pick(exclude);
      if (w !== null) this.#grant(w);
      return w;
    });
  }

  // ---- workers ---------------------------------------------------------------------------

  /**
   * Workers that count toward maxProcesses: live ones not being replaced. With
   * disallowOverlappingRotation, one being replaced holds its slot until it has exited, so the
   * new worker never runs beside the old one.
   */
  #active(): WorkerProcess[] {
    const strict = this.config.recycling.disallowOverlappingRotation;
    return this.workers.filter((w) => {
      if (w.state === 'starting' || w.state === 'ready' || w.state === 'suspended') return !w.replaced || strict;
      return w.state === 'draining' && w.replaced && strict;
    });
  }

  /** Starts a worker for waiting requests, while below maxProcesses (on-demand start). */
  #demandStart(): void {
    if (this.state !== 'started' || this.#startDelay !== null) return;
    const active = this.#active();
    const starting = active.some((w) => w.state === 'starting');
    if (starting || active.length >= this.config.processModel.maxProcesses) return;
    // A web garden grows one worker at a time while requests wait.
    this.#startWorker();
  }

  /** AlwaysRunning pools keep maxProcesses workers; OnDemand pools start for the queue. */
  #ensureWorkers(): void {
    if (this.state !== 'started') return;
    if (this.config.startMode === 'AlwaysRunning') {
      while (this.#active().length < this.config.processModel.maxProcesses && this.#startDelay === null) {
        if (this.#startWorker() === null) return;
      }
    }
    if (this.queue.length > 0) this.#demandStart();
  }

  async #allocateAddress(id: string, identity: Identity): Promise<WorkerAddress> {
    if (this.config.listen === 'unix') {
      if (identity.uid === null && identity.gid === null) return { path: join(this.#services.runDir, `${id}.sock`) };
      // A worker running as another user makes its socket in a folder of its own pool, owned by it.
      const dir = join(this.#services.runDir, this.name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chown(dir, identity.uid ?? process.getuid?.() ?? 0, identity.gid ?? process.getgid?.() ?? 0);
      return { path: join(dir, `${id}.sock`) };
    }
    return new Promise((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const port = (probe.address() as { port: number }).port;
        probe.close(() => resolve({ port }));
      });
    });
  }

  #startWorker(replacementFor: WorkerProcess | null = null): WorkerProcess | null {
    let identity: Identity;
    try {
      identity = resolveIdentity(this.config.processModel.user, this.config.processModel.group);
    } catch (err) {
      if (err instanceof IdentityError) {
        this.#event(EventIds.IdentityInvalid, `Application pool '${this.name}' has an invalid identity: ${err.message}. The pool was stopped.`, {
          details: { user: this.config.processModel.user, group: this.config.processModel.group },
        });
        this.#stopBySelf('identity');
        return null;
      }
      throw err;
    }
    const id = `${this.name}-${++workerSeq}`;
    const config = this.config;
    const worker = new WorkerProcess(id, config);
    this.workers.push(worker);
    this.#wire(worker, replacementFor);
    void this.#allocateAddress(id, identity).then(
      (address) => {
        worker.setAddress(address);
        if (worker.exitFacts !== null) return;
        const spec = buildSpawnSpec({
          pool: config,
          workerId: id,
          address,
          identity,
          nodeOptions: config.runtime === 'node' ? this.#services.diagnostics.nodeOptions(config) : [],
          extraEnv: this.#services.diagnostics.extraEnv(config, id),
          baseEnv: process.env,
        });
        worker.start(spec);
        if (worker.child?.stdout) this.#services.output.attach(id, 'stdout', worker.child.stdout);
        if (worker.child?.stderr) this.#services.output.attach(id, 'stderr', worker.child.stderr);
        if (worker.pid !== null) {
          this.#event(EventIds.WorkerStarted, `Worker ${id} started with pid ${worker.pid}.`, {
            worker,
            details: { command: config.command, replacementFor: replacementFor?.id ?? null },
          });
        }
      },
      (err: Error) => {
        this.#event(EventIds.WorkerCrashed, `Worker ${id} could not be given an address: ${err.message}`, { worker, level: 'error' });
        worker.kill();
      },
    );
    return worker;
  }

  /**
   * Listens to a worker's event. A listener that throws, or an async one that rejects, would
   * otherwise take the whole host down with every pool: it is logged (7010) and the host goes on.
   */
  #on<A extends unknown[]>(worker: WorkerProcess, event: string, fn: (...args: A) => unknown): void {
    const report = (err: unknown): void => {
      this.#event(EventIds.InternalError, `Internal error handling '${event}' of worker ${worker.id}: ${(err as Error)?.message ?? err}`, {
        worker,
        details: { event, stack: (err as Error)?.stack ?? null },
      });
    };
    worker.on(event, (...args: unknown[]) => {
      try {
        const r = fn(...(args as A));
        if (r instanceof Promise) r.catch(report);
      } catch (err) {
        report(err);
      }
    });
  }

  #wire(worker: WorkerProcess, replacementFor: WorkerProcess | null): void {
    this.#on(worker, 'ready', () => {
      this.#startFailures = 0;
      this.#event(EventIds.WorkerReady, `Worker ${worker.id} is ready (pid ${worker.pid}).`, {
        worker,
        details: { startupMs: worker.readyAt - worker.createdAt },
      });
      if (replacementFor !== null && isLive(replacementFor.state)) void replacementFor.drain('recycled');
      this.#dispatch();
      this.#recycler.settled(worker);
    });
    this.#on(worker, 'spawnError', (err: Error) => {
      this.#event(EventIds.WorkerCrashed, `Worker ${worker.id} could not be started: ${err.message}`, { worker, level: 'error', details: { error: err.message } });
    });
    this.#on(worker, 'startupTimeout', () => {
      const limit = this.config.processModel.startupTimeLimit;
      this.#event(EventIds.StartupTimeLimit, `Worker ${worker.id} (pid ${worker.pid}) did not become ready within the startup time limit of ${limit} ms and was killed.`, {
        worker,
        details: { startupTimeLimitMs: limit },
      });
      worker.expectExit('startupTimeLimit');
      worker.kill();
      this.#failure('startupTimeLimit');
    });
    this.#on(worker, 'shutdownTimeout', (limit: number) => {
      this.#event(EventIds.ShutdownTimeLimit, `Worker ${worker.id} (pid ${worker.pid}) did not stop within the shutdown time limit of ${limit} ms and was killed.`, {
        worker,
        details: { shutdownTimeLimitMs: limit },
      });
      this.#failure('shutdownTimeLimit');
    });
    this.#on(worker, 'pingMissed', (ms: number) => this.#onPingMissed(worker, ms));
    this.#on(worker, 'unhealthy', (reason: string, message: Record<string, unknown>) => {
      const { type: _t, ...figures } = message;
      this.recycleWorker(worker, 'IsapiUnhealthy', { reason, ...figures });
    });
    this.#on(worker, 'channelBroken', () => {
      this.#event(EventIds.ChannelBroken, `Worker ${worker.id} (pid ${worker.pid}) closed its control channel while still running: a fatal communication error. It will be recycled.`, { worker });
      this.#failure('channelBroken');
      worker.health = 'unhealthy';
      this.recycleWorker(worker, 'IsapiUnhealthy', { reason: 'control channel closed' }, { event: false });
    });
    this.#on(worker, 'exit', (facts: ExitFacts) => this.#onExit(worker, facts, replacementFor));
  }

  async #onPingMissed(worker: WorkerProcess, ms: number): Promise<void> {
    worker.health = 'unhealthy';
    this.#event(EventIds.PingMissed, `Worker ${worker.id} (pid ${worker.pid}) did not answer a ping within ${ms} ms: it is considered hung.`, {
      worker,
      details: { pingResponseTimeMs: ms, inFlight: worker.inFlight },
    });
    worker.replaced = true;
    // The requests it holds will not be answered: a GET goes to another worker now (the front
    // door retries it), not after the stacks are captured and the process is killed.
    worker.upstream.destroyAll();
    const stopped = this.#failure('pingMissed');
    const plan = planMissedPing(this.config.failure, this.config.diagnostics, stopped, this.#orphanage.orphans.length);
    // The replacement starts at once, not on the next request, and the hung worker takes no new
    // request while its stacks are captured.
    if (plan.replace) this.#ensureCapacity();
    if (plan.capture) await this.#services.diagnostics.captureHang(worker).catch(() => {});
    if (plan.dispose === 'orphan') {
      this.#orphan(worker, plan.orphansToKill);
    } else {
      worker.expectExit('pingMissed');
      worker.kill();
    }
  }

  /** Starts workers until maxProcesses count, or one for an on-demand pool with nothing ready. */
  #ensureCapacity(): void {
    const active = this.#active();
    if (active.length < this.config.processModel.maxProcesses && (this.config.startMode === 'AlwaysRunning' || this.queue.length > 0 || active.every((w) => w.state !== 'ready'))) {
      this.#startWorker();
    }
  }

  #orphan(worker: WorkerProcess, orphansToKill: number): void {
    const at = this.workers.indexOf(worker);
    if (at !== -1) this.workers.splice(at, 1);
    this.#orphanage.adopt(worker, this.config, orphansToKill);
  }

  #onExit(worker: WorkerProcess, facts: ExitFacts, replacementFor: WorkerProcess | null): void {
    const at = this.workers.indexOf(worker);
    if (at !== -1) this.workers.splice(at, 1);
    if (!facts.expected) {
      const how = facts.signal !== null ? `signal ${facts.signal}` : `exit code ${facts.code}`;
      const seq = this.#event(EventIds.WorkerCrashed, `Worker ${worker.id} (pid ${worker.pid}) terminated unexpectedly with ${how}.`, {
        worker,
        details: {
          exitCode: facts.code,
          signal: facts.signal,
          uptimeMs: facts.uptimeMs,
          state: facts.stateBefore,
          requests: worker.requests,
          // The requests the worker held when it died (method and path): their connections broke
          // a moment before the exit was seen, so they are listed from both places.
          requestsInHand: [...worker.requestsInFlight.values(), ...worker.requestsAbandoned],
        },
      });
      this.#services.diagnostics.onCrash(worker, facts, seq);
      if (facts.stateBefore === 'starting') this.#startFailures++;
      this.#failure('crash');
    } else if (facts.stateBefore !== 'orphaned') {
      this.#event(EventIds.WorkerStopped, `Worker ${worker.id} (pid ${worker.pid}) stopped${worker.stopReason ? ` (${worker.stopReason})` : ''}.`, {
        worker,
        details: { exitCode: facts.code, signal: facts.signal, uptimeMs: facts.uptimeMs, reason: worker.stopReason },
      });
    }
    if (facts.stateBefore === 'starting' && replacementFor !== null && isLive(replacementFor.state)) {
      this.#recycler.replacementFailed(replacementFor, worker, facts);
    }
    this.#recycler.settled(worker);
    if (this.state !== 'started') return;
    // Crash loops back off (100 ms doubling to 5 s) so a worker that dies at start does not spin.
    if (this.#startFailures > 0 && (this.queue.length > 0 || this.config.startMode === 'AlwaysRunning')) {
      const delay = Math.min(5_000, 100 * 2 ** (this.#startFailures - 1));
      if (this.#startDelay === null) {
        this.#startDelay = setTimeout(() => {
          this.#startDelay = null;
          this.#ensureWorkers();
        }, delay);
        this.#startDelay.unref();
      }
      return;
    }
    this.#ensureWorkers();
    this.#dispatch();
  }

  /** Counts a failure toward rapid-fail protection; true when it stopped the pool. */
  #failure(kind: FailureKind): boolean {
    const now = this.#services.now();
    if (!this.#rapidFail.record(kind, now) || this.state !== 'started') return false;
    const f = this.config.failure;
    this.#event(EventIds.RapidFailStopped, `Application pool '${this.name}' was stopped by rapid-fail protection: ${f.rapidFailProtectionMaxCrashes} failures within ${f.rapidFailProtectionInterval} ms.`, {
      details: { failures: this.#rapidFail.recent(now).map((r) => ({ kind: r.kind, at: new Date(r.at).toISOString() })), loadBalancerCapabilities: f.loadBalancerCapabilities },
    });
    this.#stopBySelf('rapidFail');
    return true;
  }

  /** A stop the host decides by itself (IIS: rapid-fail, CPU limit, identity) runs autoShutdownAction. */
  #stopBySelf(reason: 'rapidFail' | 'cpuLimit' | 'identity'): void {
    if (this.state !== 'started') return;
    void this.stop(reason);
    this.#autoShutdownAction();
  }

  #autoShutdownAction(): void {
    const action = this.config.failure.autoShutdownAction;
    if (!action) return;
    void runAction(action.map((a) => a.replaceAll('{pool}', this.name)), this.config.cwd).then((r) => {
      this.#event(EventIds.AutoShutdownActionRan, `autoShutdownAction for pool '${this.name}' exited with ${r.error ?? `code ${r.code}`}.`, {
        details: { action, exitCode: r.code, output: r.output, error: r.error },
      });
    });
  }

  // ---- recycling -------------------------------------------------------------------------

  /** Recycles every worker of the pool (admin, schedule, config change), one at a time. */
  recycle(trigger: RecycleTrigger, details: Record<string, unknown> = {}): void {
    if (this.state === 'started') this.#recycler.recycleAll(trigger, details);
  }

  /** Queues one worker for recycling; the recycle runs when no other one does. */
  recycleWorker(worker: WorkerProcess, trigger: RecycleTrigger, details: Record<string, unknown>, options: { event?: boolean } = {}): void {
    this.#recycler.recycle(worker, trigger, details, options);
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

  /** Periodic work: idle timeout, time and memory triggers. Called by the host's tick. */
  tick(now: number): void {
    if (this.state !== 'started') return;
    const pm = this.config.processModel;
    const pr = this.config.recycling.periodicRestart;
    const samplePrivate = pr.privateMemory > 0 && now - this.#lastPrivateSample >= 5_000;
    if (samplePrivate) this.#lastPrivateSample = now;
    for (const w of [...this.workers]) {
      if (w.state !== 'ready') continue;
      if (pm.idleTimeout > 0 && w.inFlight === 0 && now - w.lastActivityAt >= pm.idleTimeout && !w.recycling) {
        this.#idle(w, now);
        continue;
      }
      if (w.recycling) continue;
      const stats = pr.memory > 0 && w.pid !== null ? readProcessStats(w.pid) : null;
      const priv = samplePrivate && w.pid !== null ? readPrivateBytes(w.pid) : null;
      const due = periodicTrigger(pr, this.config.recycling.recycleJitter, {
        id: w.id,
        readyAt: w.readyAt,
        virtualBytes: stats?.virtualBytes ?? null,
        privateBytes: priv,
      }, now);
      if (due) this.recycleWorker(w, due.trigger, due.details);
    }
    if (this.config.startMode === 'AlwaysRunning') this.#ensureWorkers();
    this.#cpu.tick(now);
  }

  #idle(w: WorkerProcess, now: number): void {
    const pm = this.config.processModel;
    if (pm.idleTimeoutAction === 'Suspend') {
      if (w.suspend()) {
        this.#event(EventIds.IdleShutdown, `Worker ${w.id} (pid ${w.pid}) was suspended after ${pm.idleTimeout} ms without a request.`, {
          worker: w,
          details: { idleTimeoutMs: pm.idleTimeout, action: 'Suspend', idleMs: now - w.lastActivityAt },
        });
      }
      return;
    }
    // AlwaysRunning pools are not shut down for idleness (IIS: idle timeout applies to OnDemand).
    if (this.config.startMode === 'AlwaysRunning') return;
    this.#event(EventIds.IdleShutdown, `Worker ${w.id} (pid ${w.pid}) was shut down after ${pm.idleTimeout} ms without a request.`, {
      worker: w,
      details: { idleTimeoutMs: pm.idleTimeout, action: 'Terminate', idleMs: now - w.lastActivityAt },
    });
    void w.drain('idle timeout');
  }

  /** Applies a changed configuration; the caller decides whether to recycle. */
  reconfigure(config: PoolConfig): void {
    const f = this.config.failure;
    const g = config.failure;
    this.config = config;
    this.queue.capacity = config.queueLength;
    // A reload keeps the failures counted so far unless the protection itself changed.
    if (f.rapidFailProtection !== g.rapidFailProtection || f.rapidFailProtectionInterval !== g.rapidFailProtectionInterval || f.rapidFailProtectionMaxCrashes !== g.rapidFailProtectionMaxCrashes) {
      this.#rapidFail = this.#makeWindow(config);
    }
    if (this.state === 'started') this.#armSchedule();
  }

  /** Whether the pool can take a request now (for /health/pools/:name). */
  get available(): boolean {
    return this.state === 'started' && !this.queue.full;
  }

  /** A read-only view for the admin API. */
  inspect(): PoolSnapshot {
    const live = [...this.workers, ...this.#orphanage.orphans];
    return {
      name: this.name,
      state: this.state,
      stopReason: this.state === 'started' ? null : this.stopReason,
      startMode: this.config.startMode,
      maxProcesses: this.config.processModel.maxProcesses,
      queueLength: this.config.queueLength,
      queued: this.queue.length,
      inFlight: this.workers.reduce((n, w) => n + w.inFlight, 0),
      requests: this.requests,
      refused: { ...this.refused },
      recentFailures: this.#rapidFail.count(this.#services.now()),
      workers: live.map((w) => w.inspect()),
      available: this.available,
    };
  }

  /** Checks the invariants stated at the top of this file; throws on a violation. */
  verifyInvariants(): void {
    if (this.state === 'stopped') {
      if (this.queue.length > 0) throw new Error(`pool ${this.name}: stopped with ${this.queue.length} queued`);
      if (this.workers.some((w) => isLive(w.state) && w.state !== 'draining')) throw new Error(`pool ${this.name}: stopped with a live worker`);
    }
    if (this.state === 'started' && this.queue.waitingForAny && this.#pick(null) !== null) {
      throw new Error(`pool ${this.name}: requests queued while a ready worker is free`);
    }
  }
}

export type { RecycleTrigger };
