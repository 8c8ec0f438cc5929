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
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PoolConfig } from '../config/types.ts';
import { ControlChannel, type WorkerMessage } from './control-channel.ts';
import type { SpawnSpec, WorkerAddress } from './spawn-spec.ts';
import { transitionWorker, isLive, type WorkerHealth, type WorkerState } from './worker-state.ts';
import type { WorkerSnapshot } from './worker-snapshot.ts';
import { readCpuSeconds, readPrivateBytes, readProcessStats, type ProcessStats } from './proc-stats.ts';
import type { WorkerCgroup } from './cgroups/worker-cgroup.ts';
import type { OomFacts } from './cgroups/oom-words.ts';
import { getScript, getValues, type ProbeResult } from '../fastcgi/probe.ts';

export interface ExitFacts {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The host asked for this exit (drain, recycle, stop, kill after a limit). */
  readonly expected: boolean;
  /** State before the exit. */
  readonly stateBefore: WorkerState;
  readonly uptimeMs: number;
  /** The kernel's OOM killer ended a process of the worker's cgroup (null without a cgroup, or no OOM kill). */
  readonly oom?: OomFacts | null;
}

/** A request this worker holds, as the crash report names it ("GET /path"), read only when needed. */
export interface RequestInHand {
  readonly label: string;
}

/** How a request left the worker: answered (or given up by its client), abandoned by a broken connection, or a tunnel that closed. */
export type RequestEnd = 'ended' | 'abandoned' | 'tunnelEnded';

/**
 * What the owner of a worker's connections must do now: `idle` when the worker takes no new request
 * (draining, suspended), `all` when no connection to it can be answered any more (hung, orphaned, exited).
 */
export type ConnectionsVerdict = 'idle' | 'all';

const readyProbeIntervalMs = 25;
/** Abandoned requests kept for the crash report, newest last. */
const abandonedKept = 20;

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
  #requests = 0;
  #inFlight = 0;
  #tunnels = 0;
  readonly #inHand = new Set<RequestInHand>();
  readonly #abandoned: string[] = [];
  #stopReason: string | null = null;
  #exitFacts: ExitFacts | null = null;
  #child: ChildProcess | null = null;
  #channel: ControlChannel | null = null;
  #expectedExit = false;
  #timers = new Set<NodeJS.Timeout>();
  #pingSeq = 0;
  #pendingPing: { id: number; timer: NodeJS.Timeout } | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  readonly #connectionWatchers: Array<(verdict: ConnectionsVerdict) => void> = [];
  #exited: Promise<ExitFacts>;
  #resolveExited!: (facts: ExitFacts) => void;
  #suspendedAt = 0;
  #thawedAt = 0;
  #suspendedMs = 0;
  /** A FastCGI probe waits on a connection of its own (see probePending). */
  #probing = false;
  /** The worker's own cgroup (src/supervisor/cgroups/), or null where the host has none. */
  #cgroup: WorkerCgroup | null = null;
  /** How a suspended worker was stopped: its cgroup frozen, or SIGSTOP to its process group. */
  #frozenBy: 'cgroup' | 'signal' = 'signal';

  /** `now` is the pool's clock (epoch ms): every time this worker records is read from it. */
  constructor(id: string, pool: PoolConfig, now: () => number = Date.now) {
    super();
    this.id = id;
    this.pool = pool;
    this.#now = now;
    this.createdAt = now();
    this.#lastActivityAt = this.createdAt;
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
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
    return this.#lastActivityAt;
  }
  /** Requests granted to this worker since it started. */
  get requests(): number {
    return this.#requests;
  }
  /** Requests it holds now, tunnels included. */
  get inFlight(): number {
    return this.#inFlight;
  }
  /** Upgraded connections (WebSocket tunnels) among inFlight. */
  get tunnels(): number {
    return this.#tunnels;
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
    return this.#probing;
  }
  /** Whether the worker speaks the control channel (sent at least one message). */
  get hasChannel(): boolean {
    return this.#channel !== null && this.#channel.spoken && !this.#channel.closed;
  }
  /** The requests it holds now, in the order they were granted (the pool's request limits sweep them). */
  get inHand(): ReadonlySet<RequestInHand> {
    return this.#inHand;
  }
  /** The requests it holds now ("GET /path"), for crash reports. */
  requestsInHand(): string[] {
    return [...this.#inHand].map((r) => r.label);
  }
  /** Requests it abandoned when their connections broke, newest last (at most 20). */
  get requestsAbandoned(): readonly string[] {
    return this.#abandoned;
  }

  #move(to: WorkerState): void {
    this.#state = transitionWorker(this.#state, to);
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
    if ('path' in this.#address && spec.stdin === undefined) {
      try {
        unlinkSync(this.#address.path); // a stale socket file would make the worker's listen fail
      } catch {
        // none there: the usual case
      }
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.file, spec.args as string[], {
        cwd: spec.cwd,
        env: spec.env,
        stdio: [spec.stdin ?? 'ignore', 'pipe', 'pipe', 'pipe'],
        detached: true, // own process group: a stop reaches the worker's children too
      });
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
    this.#probeReady();
  }

  /** Marks the worker ready and starts pinging. */
  #becomeReady(): void {
    if (this.#state !== 'starting') return;
    this.#move('ready');
    this.#readyAt = this.#now();
    this.#lastActivityAt = this.#readyAt;
    this.#schedulePing();
    this.emit('ready');
  }

  #probeReady(): void {
    // Without a channel, ready = PORT accepts a connection (DESIGN §4). With one, the 'ready'
    // message usually wins; the probe is harmless either way.
    if (this.#state !== 'starting') return;
    if (this.pool.protocol === 'fastcgi') return this.#probeFastCgiReady();
    const a = this.#address;
    const socket = 'path' in a ? connect(a.path) : connect(a.port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      // A worker that speaks the channel says when it is ready; trust the message, not the port.
      if (this.#channel?.spoken) return;
      this.#becomeReady();
    });
    socket.once('error', () => {
      socket.destroy();
      this.#arm(readyProbeIntervalMs, () => this.#probeReady());
    });
  }

  /**
   * A FastCGI worker's socket accepts connections before the process runs (the host made it), so
   * ready is an answer to FCGI_GET_VALUES: the application runs its accept loop (docs/php.md).
   */
  #probeFastCgiReady(): void {
    void this.#fastcgiProbe(() => getValues(this.#address, Math.max(250, this.pool.processModel.startupTimeLimit))).then((r) => {
      if (this.#state !== 'starting') return;
      if (r.kind === 'answered') this.#becomeReady();
      else this.#arm(readyProbeIntervalMs, () => this.#probeReady());
    });
  }

  /** Runs a FastCGI probe with probePending set, after the front door closed its idle connections. */
  async #fastcgiProbe(run: () => Promise<ProbeResult>): Promise<ProbeResult> {
    this.#probing = true;
    this.#tellConnections('idle');
    try {
      return await run();
    } finally {
      this.#probing = false;
    }
  }

  // ---- the control channel and pings ---------------------------------------------------------

  #onMessage(m: WorkerMessage): void {
    switch (m.type) {
      case 'ready':
        this.#becomeReady();
        break;
      case 'pong':
        if (this.#pendingPing && this.#pendingPing.id === (m as { id: number }).id) {
          clearTimeout(this.#pendingPing.timer);
          this.#timers.delete(this.#pendingPing.timer);
          this.#pendingPing = null;
        }
        break;
      case 'unhealthy':
        if (this.#lagFromSuspension(m)) break;
        if (this.#state === 'ready' || this.#state === 'starting') {
          this.#health = 'unhealthy';
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
      this.emit('channelBroken');
    });
  }

  #schedulePing(): void {
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    const pm = this.pool.processModel;
    if (!pm.pingingEnabled || pm.pingInterval <= 0) return;
    this.#pingTimer = setTimeout(() => {
      this.#pingTimer = null;
      if (this.#state !== 'ready') return;
      this.ping();
      this.#schedulePing();
    }, pm.pingInterval);
    this.#pingTimer.unref();
  }

  /** Sends one ping (channel) or HTTP GET of pingPath; a miss emits 'pingMissed'. */
  ping(): void {
    if (this.#pendingPing !== null || this.#state !== 'ready') return;
    const pm = this.pool.processModel;
    const id = ++this.#pingSeq;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#pendingPing?.id !== id) return;
      this.#pendingPing = null;
      if (this.#state !== 'ready') return;
      // One miss is enough: the pool replaces the worker; more pings would only repeat the verdict.
      this.#hung = true;
      this.#health = 'unhealthy';
      this.#stopPinging();
      // The requests it holds will not be answered: their connections close now, so a GET goes to
      // another worker at once (the front door retries it), not after the stacks are captured.
      this.#tellConnections('all');
      this.emit('pingMissed', pm.pingResponseTime);
    }, pm.pingResponseTime);
    this.#timers.add(timer);
    if (this.pool.protocol === 'fastcgi') {
      this.#pendingPing = { id, timer };
      this.#fastcgiPing(id, pm.pingPath, pm.pingResponseTime);
    } else if (this.hasChannel) {
      this.#pendingPing = { id, timer };
      this.#channel!.send({ type: 'ping', id });
    } else if (pm.pingPath !== null) {
      this.#pendingPing = { id, timer };
      this.#httpPing(id, pm.pingPath, pm.pingResponseTime);
    } else {
      clearTimeout(timer);
      this.#timers.delete(timer);
    }
  }

  /** FCGI_GET_VALUES, or a GET of the pingPath script (a 2xx answer), within the ping's time. */
  #fastcgiPing(id: number, path: string | null, timeoutMs: number): void {
    const a = this.#address;
    const run = path === null ? () => getValues(a, timeoutMs) : () => getScript(a, path, this.pool.documentRoot, timeoutMs);
    void this.#fastcgiProbe(run).then((r) => {
      const ok = r.kind === 'answered' && (r.status === null || (r.status >= 200 && r.status < 300));
      if (ok) this.#pongFor(id);
      // A failed probe is left to the response-time timer: it counts as a missed ping.
    });
  }

  #pongFor(id: number): void {
    if (this.#pendingPing?.id !== id) return;
    clearTimeout(this.#pendingPing.timer);
    this.#timers.delete(this.#pendingPing.timer);
    this.#pendingPing = null;
  }

  #httpPing(id: number, path: string, timeoutMs: number): void {
    const a = this.#address;
    const target = 'path' in a ? { socketPath: a.path } : { host: '127.0.0.1', port: a.port };
    const req = request({ ...target, path, method: 'GET', agent: false, timeout: timeoutMs, headers: { host: 'localhost', 'user-agent': 'paddock-ping' } }, (res) => {
      res.resume();
      const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
      if (ok && this.#pendingPing?.id === id) {
        clearTimeout(this.#pendingPing.timer);
        this.#timers.delete(this.#pendingPing.timer);
        this.#pendingPing = null;
      }
      // A non-2xx answer is left to the response-time timer: it counts as a missed ping.
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {});
    req.end();
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A request was granted to this worker (by its pool's lease); a suspended worker is thawed for it. */
  beginRequest(request: RequestInHand): void {
    if (this.#state === 'suspended') this.thaw();
    this.#inFlight++;
    this.#requests++;
    this.#lastActivityAt = this.#now();
    this.#inHand.add(request);
  }

  /** The request became a tunnel (101 Switching Protocols): a drain no longer waits for it. */
  beginTunnel(request: RequestInHand): void {
    if (this.#inHand.has(request)) this.#tunnels++;
  }

  /** A request left this worker; an abandoned one is kept for the crash report. */
  endRequest(request: RequestInHand, end: RequestEnd): void {
    if (!this.#inHand.delete(request)) return;
    if (end === 'abandoned') {
      this.#abandoned.push(request.label);
      if (this.#abandoned.length > abandonedKept) this.#abandoned.shift();
    }
    if (end === 'tunnelEnded') this.#tunnels--;
    this.#inFlight--;
    this.#lastActivityAt = this.#now();
    if (this.#inFlight - this.#tunnels <= 0) this.emit('idle');
  }

  // ---- idle suspension -------------------------------------------------------------------------

  /**
   * Suspends the worker (idleTimeoutAction Suspend): its cgroup is frozen, so the whole tree stops
   * and thaws together; without a cgroup, SIGSTOP to its process group.
   */
  suspend(): boolean {
    if (this.#state !== 'ready' || this.#pid === null) return false;
    this.#move('suspended');
    this.#suspendedAt = this.#now();
    this.#frozenBy = this.#cgroup?.freeze() ? 'cgroup' : 'signal';
    if (this.#frozenBy === 'signal') this.#signalGroup('SIGSTOP');
    return true;
  }

  #unfreeze(): void {
    if (this.#frozenBy === 'cgroup') this.#cgroup?.thaw();
    else this.#signalGroup('SIGCONT');
  }

  /**
   * Whether an event-loop report only measured time the host kept the worker frozen: after a
   * thaw, the SDK's timers fire late by the whole suspension, which is not the app's fault.
   */
  #lagFromSuspension(m: WorkerMessage): boolean {
    const figure = (m as { eventLoopDelayMs?: unknown }).eventLoopDelayMs;
    const lag = typeof figure === 'number' ? figure : null;
    if (lag === null || this.#thawedAt === 0) return false;
    return this.#now() - this.#thawedAt < 5_000 && lag <= this.#suspendedMs + 1_000;
  }

  /** Thaws a suspended worker (SIGCONT). */
  thaw(): void {
    if (this.#state !== 'suspended') return;
    this.#thawedAt = this.#now();
    this.#suspendedMs = this.#thawedAt - this.#suspendedAt;
    this.#unfreeze();
    this.#move('ready');
    this.#lastActivityAt = this.#thawedAt;
    this.#schedulePing();
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
    this.#stopPinging();
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
        if (this.#inFlight - this.#tunnels <= 0 || this.#exitFacts !== null || this.#now() >= deadline) {
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
    this.#stopPinging();
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
    try {
      process.kill(-this.#pid, signal);
    } catch {
      try {
        this.#child?.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  #stopPinging(): void {
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    if (this.#pendingPing) clearTimeout(this.#pendingPing.timer);
    this.#pendingPing = null;
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
    const stateBefore = this.#state;
    // Read before the cgroup ends: a SIGKILL may be the kernel's OOM killer.
    const oomFacts = signal === 'SIGKILL' && this.#cgroup !== null ? this.#cgroup.oomFacts() : null;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#stopPinging();
    const facts: ExitFacts = {
      code,
      signal,
      expected: this.#expectedExit,
      stateBefore,
      uptimeMs: this.#now() - this.createdAt,
      oom: oomFacts !== null && oomFacts.kills > 0 ? oomFacts : null,
    };
    // Nothing the worker started outlives it: its cgroup's processes are killed and the cgroup goes.
    void this.#cgroup?.end();
    this.#releaseOutput();
    this.#exitFacts = facts;
    this.#move('stopped');
    this.#channel?.destroy();
    if ('path' in this.#address) {
      try {
        unlinkSync(this.#address.path);
      } catch {
        // the worker removed it, or never made it
      }
    }
    this.emit('exit', facts);
    this.#resolveExited(facts);
  }

  /**
   * A child that holds the worker's stdout or stderr (a daemon without a cgroup to end it) must not
   * keep the host from exiting: the pipes close a moment after the exit, once the last lines are read.
   */
  #releaseOutput(): void {
    const child = this.#child;
    if (child === null) return;
    const timer = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, 500);
    timer.unref();
  }

  /** CPU and memory of the worker: its cgroup's (the whole tree), or its process's from /proc; null when gone. */
  stats(): ProcessStats | null {
    if (this.#pid === null || this.#exitFacts !== null) return null;
    return this.#cgroup?.stats() ?? readProcessStats(this.#pid);
  }

  /** Private bytes of the worker: its cgroup's anonymous memory, or its process's smaps_rollup. */
  privateBytes(): number | null {
    if (this.#pid === null || this.#exitFacts !== null) return null;
    return this.#cgroup?.privateBytes() ?? readPrivateBytes(this.#pid);
  }

  /** CPU seconds of the worker (its cgroup's, or its process's). */
  cpuSeconds(): number | null {
    if (this.#pid === null || this.#exitFacts !== null) return null;
    return this.#cgroup?.cpuSeconds() ?? readCpuSeconds(this.#pid);
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
      requests: this.#requests,
      inFlight: this.#inFlight,
      rssBytes: stats?.rssBytes ?? null,
      cpuSeconds: stats?.cpuSeconds ?? null,
    };
  }
}

/** EMFILE/ENFILE: the host (not the worker) has no descriptor left. */
function outOfFiles(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}
