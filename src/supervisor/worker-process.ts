/**
 * One worker: an OS process of a pool, its control channel, its readiness, its pings and its
 * stop. The pool decides *what* to do (policy); this class does it to the process and reports
 * what happened as events: 'ready', 'exit', 'unhealthy', 'pingMissed', 'channelBroken',
 * 'startupTimeout', 'shutdownTimeout', 'spawnError'.
 *
 * Everything the rest of the host reads here (state, health, counters) is written by this class
 * alone, the state only through the transition table (worker-state.ts), and every time it reads
 * comes from the clock it was given, the pool's.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { PoolConfig } from '../config/types.ts';
import { ControlChannel, type WorkerMessage } from './control-channel.ts';
import type { SpawnSpec, WorkerAddress } from './spawn-spec.ts';
import { transitionWorker, isLive, type WorkerHealth, type WorkerState } from './worker-state.ts';
import type { WorkerSnapshot } from './worker-snapshot.ts';
import type { ProcessStats } from './proc-stats.ts';
import type { WorkerCgroup } from './cgroups/worker-cgroup.ts';
import { exitFacts, type ExitFacts } from './worker-exit.ts';
import { workerCpuSeconds, workerPrivateBytes, workerStats } from './worker-figures.ts';
import { outOfFiles, releaseOutput, removeSocketFile, signalGroup, spawnChild } from './worker-child.ts';
import { WorkerProbes } from './worker-probes.ts';
import { RequestsInHand, type HeldRequests, type RequestEnd, type RequestInHand } from './worker-requests.ts';
import { Suspension } from './worker-suspension.ts';

export type { ExitFacts } from './worker-exit.ts';
export type { HeldRequests, RequestEnd, RequestInHand } from './worker-requests.ts';

/**
 * What the owner of a worker's connections must do now: `idle` when the worker takes no new request
 * (draining, suspended), `all` when no connection to it can be answered any more (hung, orphaned, exited).
 */
export type ConnectionsVerdict = 'idle' | 'all';

/** A worker process and everything the host knows about it. */
export class WorkerProcess extends EventEmitter {
  readonly id: string;
  readonly pool: PoolConfig;
  readonly createdAt: number;
  readonly #now: () => number;
  #address: WorkerAddress = { path: '' };
  #state: WorkerState = 'starting';
  #health: WorkerHealth = 'healthy';
  #hung = false;
  #pid: number | null = null;
  #readyAt = 0;
  #lastActivityAt: number;
  readonly #held: HeldRequests;
  #stopReason: string | null = null;
  #exitFacts: ExitFacts | null = null;
  #child: ChildProcess | null = null;
  #channel: ControlChannel | null = null;
  #expectedExit = false;
  #timers = new Set<NodeJS.Timeout>();
  readonly #connectionWatchers: Array<(verdict: ConnectionsVerdict) => void> = [];
  #exited: Promise<ExitFacts>;
  #resolveExited!: (facts: ExitFacts) => void;
  /** How and for how long it was suspended (worker-suspension.ts). */
  readonly #suspension = new Suspension();
  /** The ready probe and the pings (worker-probes.ts). */
  readonly #probes: WorkerProbes;
  /** The worker's own cgroup (src/supervisor/cgroups/), or null where the host has none. */
  #cgroup: WorkerCgroup | null = null;

  /** `now` is the pool's clock (epoch ms): every time this worker records is read from it. */
  /** `held`: where its requests are counted (the shared table's counts, with front-door threads). */
  constructor(id: string, pool: PoolConfig, now: () => number = Date.now, held: HeldRequests = new RequestsInHand()) {
    super();
    this.#held = held;
    this.id = id;
    this.pool = pool;
    this.#now = now;
    this.createdAt = now();
    this.#lastActivityAt = this.createdAt;
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
    this.#probes = new WorkerProbes({
      pool,
      state: () => this.#state,
      address: () => this.#address,
      channelSpoken: () => this.#channel?.spoken ?? false,
      hasChannel: () => this.hasChannel,
      sendPing: (id) => this.#channel!.send({ type: 'ping', id }),
      arm: (ms, fn) => this.#arm(ms, fn),
      ready: () => this.#becomeReady(),
      probing: () => this.#tellConnections('idle'),
      missed: (responseTimeMs) => {
        this.#hung = true;
        this.#health = 'unhealthy';
        this.emit('facts');
        // The requests it holds will not be answered: their connections close now, so a GET goes to
        // another worker at once (the front door retries it), not after the stacks are captured.
        this.#tellConnections('all');
        this.emit('pingMissed', responseTimeMs);
      },
    });
  }

  // ---- read-only state -------------------------------------------------------------------

  get address(): WorkerAddress {
    return this.#address;
  }
  get state(): WorkerState {
    return this.#state;
  }
  get health(): WorkerHealth {
    return this.#health;
  }
  /** Missed a ping: takes no new request while its stacks are captured and it is killed. */
  get hung(): boolean {
    return this.#hung;
  }
  get pid(): number | null {
    return this.#pid;
  }
  /** When it became ready (epoch ms); 0 before. */
  get readyAt(): number {
    return this.#readyAt;
  }
  /** The last request granted or finished, or becoming ready (for the idle timeout). */
  get lastActivityAt(): number {
    return Math.max(this.#lastActivityAt, this.#held.lastActivityAt);
  }
  /** Requests granted to this worker since it started. */
  get requests(): number {
    return this.#held.requests;
  }
  /** Requests it holds now, tunnels included. */
  get inFlight(): number {
    return this.#held.inFlight;
  }
  /** Upgraded connections (WebSocket tunnels) among inFlight. */
  get tunnels(): number {
    return this.#held.tunnels;
  }
  /** Why the host is stopping this worker, for the exit event. */
  get stopReason(): string | null {
    return this.#stopReason;
  }
  get exitFacts(): ExitFacts | null {
    return this.#exitFacts;
  }
  /** Resolves when the process has exited. */
  get exited(): Promise<ExitFacts> {
    return this.#exited;
  }
  get child(): ChildProcess | null {
    return this.#child;
  }
  /**
   * A FastCGI probe (ready or ping) waits for this worker on a connection of its own. A php-cgi
   * serves one connection at a time and reads a kept one (FCGI_KEEP_CONN) until it closes, so the
   * front door keeps no connection to it meanwhile: each closes after its request, and the probe,
   * first in the accept queue, gets its turn (src/fastcgi/probe.ts).
   */
  get probePending(): boolean {
    return this.#probes.probing;
  }
  /** Whether the worker speaks the control channel (sent at least one message). */
  get hasChannel(): boolean {
    return this.#channel !== null && this.#channel.spoken && !this.#channel.closed;
  }
  /** The requests it holds now, in the order they were granted (the pool's request limits sweep them). */
  get inHand(): ReadonlySet<RequestInHand> {
    return this.#held.inHand;
  }
  /** The requests it holds now ("GET /path"), for crash reports. */
  requestsInHand(): string[] {
    return [...this.#held.inHand].map((r) => r.label);
  }
  /** Requests it abandoned when their connections broke, newest last (at most 20). */
  get requestsAbandoned(): readonly string[] {
    return this.#held.abandoned;
  }

  #move(to: WorkerState): void {
    this.#state = transitionWorker(this.#state, to);
    this.emit('facts');
    if (to === 'draining' || to === 'suspended') this.#tellConnections('idle');
    else if (to === 'orphaned' || to === 'stopped') this.#tellConnections('all');
  }

  /**
   * Calls `fn` whenever the worker's connections must close: the owner of the keep-alive
   * connections (the front door) listens, so no connection outlives what it can be used for.
   */
  watchConnections(fn: (verdict: ConnectionsVerdict) => void): void {
    this.#connectionWatchers.push(fn);
  }

  #tellConnections(verdict: ConnectionsVerdict): void {
    for (const fn of this.#connectionWatchers) fn(verdict);
  }

  // ---- starting ----------------------------------------------------------------------------

  /** The worker's cgroup, which its spawn spec joins; before start(). */
  useCgroup(cgroup: WorkerCgroup): void {
    this.#cgroup = cgroup;
  }

  get cgroup(): WorkerCgroup | null {
    return this.#cgroup;
  }

  /** Sets where the worker will listen; before start(). */
  setAddress(address: WorkerAddress): void {
    this.#address = address;
  }

  /** Starts the process. Errors surface as an 'exit' with code null (never a throw). */
  start(spec: SpawnSpec): void {
    // A FastCGI worker's socket is made by the host before the spawn (src/fastcgi/listen-socket.ts).
    // A stale socket file would make the worker's listen fail.
    if (spec.stdin === undefined) removeSocketFile(this.#address);
    let child: ChildProcess;
    try {
      child = spawnChild(spec);
    } catch (err) {
      this.emit('spawnError', err);
      if (outOfFiles(err)) this.#expectedExit = true;
      this.#onExit(null, null);
      return;
    }
    this.#child = child;
    this.#pid = child.pid ?? null;
    child.on('error', (err) => {
      this.emit('spawnError', err);
      if (child.pid !== undefined) return;
      // The host out of descriptors could not spawn: its failure, not the pool's (no rapid-fail count).
      if (outOfFiles(err)) this.#expectedExit = true;
      this.#onExit(null, null);
    });
    child.on('exit', (code, signal) => this.#onExit(code, signal));
    const channelStream = child.stdio[3] as Duplex | null;
    if (channelStream) {
      this.#channel = new ControlChannel(channelStream);
      this.#channel.on('message', (m: WorkerMessage) => this.#onMessage(m));
      this.#channel.on('close', () => this.#onChannelClose());
    }
    this.#arm(this.pool.processModel.startupTimeLimit, () => {
      if (this.#state !== 'starting') return;
      this.emit('startupTimeout');
    });
    this.#probes.probeReady();
  }

  /** Marks the worker ready and starts pinging. */
  #becomeReady(): void {
    if (this.#state !== 'starting') return;
    this.#move('ready');
    this.#readyAt = this.#now();
    this.#lastActivityAt = this.#readyAt;
    this.#probes.schedulePing();
    this.emit('ready');
  }

  // ---- the control channel and pings ---------------------------------------------------------

  #onMessage(m: WorkerMessage): void {
    switch (m.type) {
      case 'ready':
        this.#becomeReady();
        break;
      case 'pong':
        this.#probes.pong((m as { id: number }).id);
        break;
      case 'unhealthy':
        if (this.#suspension.lagFromSuspension(m, this.#now())) break;
        if (this.#state === 'ready' || this.#state === 'starting') {
          this.#health = 'unhealthy';
          this.emit('facts');
          this.emit('unhealthy', typeof m.reason === 'string' ? m.reason : 'reported unhealthy', m);
        }
        break;
      default:
        this.emit('message', m);
    }
  }

  #onChannelClose(): void {
    // The channel breaking while the process lives is a fatal communication error (IIS 5011).
    // Only for a worker that spoke the protocol: a generic worker may close fd 3 on purpose.
    if (!this.#channel?.spoken || this.#expectedExit || !isLive(this.#state)) return;
    this.#arm(200, () => {
      if (this.#exitFacts !== null || !isLive(this.#state) || this.#expectedExit) return;
      this.#health = 'unhealthy';
      this.emit('facts');
      this.emit('channelBroken');
    });
  }

  /** Sends one ping (channel) or HTTP GET of pingPath; a miss emits 'pingMissed'. */
  ping(): void {
    this.#probes.ping();
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A request was granted to this worker (by its pool's lease); a suspended worker is thawed for it. */
  beginRequest(request: RequestInHand): void {
    if (this.#state === 'suspended') this.thaw();
    this.#held.begin(request);
    this.#lastActivityAt = this.#now();
  }

  /** The request became a tunnel (101 Switching Protocols): a drain no longer waits for it. */
  beginTunnel(request: RequestInHand): void {
    this.#held.beginTunnel(request);
  }

  /** A request left this worker; an abandoned one is kept for the crash report. */
  endRequest(request: RequestInHand, end: RequestEnd): void {
    if (!this.#held.end(request, end)) return;
    this.#lastActivityAt = this.#now();
    if (this.#held.busy <= 0) this.emit('idle');
  }

  /** A front-door thread let go of the worker's last request (its counts are the shared table's): a drain may go on. */
  requestsIdle(): void {
    if (this.#held.busy <= 0) this.emit('idle');
  }

  // ---- idle suspension -------------------------------------------------------------------------

  /**
   * Suspends the worker (idleTimeoutAction Suspend): its cgroup is frozen, so the whole tree stops
   * and thaws together; without a cgroup, SIGSTOP to its process group.
   */
  suspend(): boolean {
    if (this.#state !== 'ready' || this.#pid === null) return false;
    this.#move('suspended');
    this.#suspension.freeze(this.#now(), this.#cgroup, (s) => this.#signalGroup(s));
    return true;
  }

  #unfreeze(): void {
    this.#suspension.unfreeze(this.#cgroup, (s) => this.#signalGroup(s));
  }

  /** Thaws a suspended worker (SIGCONT). */
  thaw(): void {
    if (this.#state !== 'suspended') return;
    const now = this.#now();
    this.#suspension.thawedAt(now);
    this.#unfreeze();
    this.#move('ready');
    this.#lastActivityAt = now;
    this.#probes.schedulePing();
  }

  // ---- stopping --------------------------------------------------------------------------------

  /**
   * Drains and stops: no new requests (the pool stops routing here), wait for in-flight requests
   * (tunnels excepted), then `drain` on the channel or SIGTERM, then SIGKILL at `shutdownTimeLimit`.
   */
  async drain(reason: string): Promise<ExitFacts> {
    if (this.#state === 'stopped' || this.#state === 'orphaned' || this.#state === 'draining') return this.#exited;
    this.#stopReason = reason;
    this.#expectedExit = true;
    if (this.#state === 'suspended') this.#unfreeze();
    this.#move('draining');
    this.#probes.stop();
    const limit = this.pool.processModel.shutdownTimeLimit;
    const deadline = this.#now() + limit;
    this.#arm(limit, () => {
      if (this.#exitFacts !== null) return;
      this.emit('shutdownTimeout', limit);
      this.kill();
    });
    await this.#waitIdle(deadline);
    if (this.#exitFacts !== null) return this.#exited;
    // Connections that carried the last requests are idle now: they close before the worker is told.
    this.#tellConnections('idle');
    const remaining = Math.max(0, deadline - this.#now());
    if (!(this.hasChannel && this.#channel!.send({ type: 'drain', deadlineMs: remaining }))) {
      this.#signalGroup('SIGTERM');
    }
    return this.#exited;
  }

  /** Resolves when no request but tunnels is in hand, or the process exits (the limit's timer kills it at the deadline). */
  #waitIdle(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#held.busy <= 0 || this.#exitFacts !== null || this.#now() >= deadline) {
          this.off('idle', check);
          this.off('exit', check);
          resolve();
        }
      };
      this.on('idle', check);
      this.on('exit', check);
      check();
    });
  }

  /** Releases the worker from the pool's care and leaves it running (orphanWorkerProcess). */
  orphan(): void {
    if (!isLive(this.#state)) return;
    this.#expectedExit = true;
    this.#move('orphaned');
    this.#probes.stop();
  }

  /**
   * The worker could not be started at all (no address, so no process): it ends now. `hostFault`:
   * the host ran out of descriptors, which is not the pool's failure (not counted toward rapid-fail).
   */
  abandonStart(hostFault: boolean): void {
    if (this.#pid !== null || this.#exitFacts !== null) return;
    if (hostFault) this.#expectedExit = true;
    this.#onExit(null, null);
  }

  /** Kills the process group now (SIGKILL), and every process of its cgroup however it daemonised. */
  kill(): void {
    this.#expectedExit = true;
    this.#signalGroup('SIGKILL');
    if (this.#exitFacts === null) this.#cgroup?.kill();
  }

  /** Marks the coming exit as one the host asked for (used before killing a hung worker). */
  expectExit(reason: string): void {
    this.#expectedExit = true;
    this.#stopReason = reason;
  }

  /** Signals the worker's process group (used by the CPU throttle); never throws. */
  signal(signal: NodeJS.Signals): void {
    if (this.#state === 'suspended') return; // an idle-suspended worker stays frozen
    this.#signalGroup(signal);
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.#pid === null || this.#exitFacts !== null) return;
    signalGroup(this.#pid, this.#child, signal);
  }

  #arm(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exitFacts !== null) return;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#probes.stop();
    const facts = exitFacts({ code, signal, expected: this.#expectedExit, stateBefore: this.#state, uptimeMs: this.#now() - this.createdAt }, this.#cgroup);
    // Nothing the worker started outlives it: its cgroup's processes are killed and the cgroup goes.
    void this.#cgroup?.end();
    if (this.#child !== null) releaseOutput(this.#child);
    this.#exitFacts = facts;
    this.#move('stopped');
    this.#channel?.destroy();
    removeSocketFile(this.#address);
    this.emit('exit', facts);
    this.#resolveExited(facts);
  }

  /** CPU and memory of the worker: its cgroup's (the whole tree), or its process's from /proc; null when gone. */
  stats(): ProcessStats | null {
    if (this.#pid === null || this.#exitFacts !== null) return null;
    return workerStats(this.#pid, this.#cgroup);
  }

  /** Private bytes of the worker: its cgroup's anonymous memory, or its process's smaps_rollup. */
  privateBytes(): number | null {
    if (this.#pid === null || this.#exitFacts !== null) return null;
    return workerPrivateBytes(this.#pid, this.#cgroup);
  }

  /** CPU seconds of the worker (its cgroup's, or its process's). */
  cpuSeconds(): number | null {
    if (this.#pid === null || this.#exitFacts !== null) return null;
    return workerCpuSeconds(this.#pid, this.#cgroup);
  }

  /** A read-only view for the admin API. */
  inspect(): WorkerSnapshot {
    const stats = this.stats();
    return {
      pool: this.pool.name,
      id: this.id,
      pid: this.#pid,
      state: this.#state,
      health: this.#health,
      startedAt: new Date(this.createdAt).toISOString(),
      requests: this.#held.requests,
      inFlight: this.#held.inFlight,
      rssBytes: stats?.rssBytes ?? null,
      cpuSeconds: stats?.cpuSeconds ?? null,
    };
  }
}
