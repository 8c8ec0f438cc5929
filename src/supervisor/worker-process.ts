/**
 * One worker: an OS process of a pool, its control channel, its readiness, its pings and its
 * stop. The pool decides *what* to do (policy); this class does it to the process and reports
 * what happened as events: 'ready', 'exit', 'unhealthy', 'pingMissed', 'channelBroken',
 * 'startupTimeout', 'shutdownTimeout'.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PoolConfig } from '../config/types.ts';
import type { WorkerHealth, WorkerSnapshot, WorkerState } from '../admin/host-control.ts';
import { ControlChannel, type WorkerMessage } from './control-channel.ts';
import type { SpawnSpec, WorkerAddress } from './spawn-spec.ts';
import { transitionWorker, isLive } from './worker-state.ts';
import { readProcessStats } from './proc-stats.ts';
import { UpstreamPool } from '../front-door/upstream-pool.ts';

export interface ExitFacts {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The host asked for this exit (drain, recycle, stop, kill after a limit). */
  readonly expected: boolean;
  /** State before the exit. */
  readonly stateBefore: WorkerState;
  readonly uptimeMs: number;
}

const readyProbeIntervalMs = 25;

/** A worker process and everything the host knows about it. */
export class WorkerProcess extends EventEmitter {
  readonly id: string;
  readonly pool: PoolConfig;
  address: WorkerAddress = { path: '' };
  upstream: UpstreamPool = new UpstreamPool(this.address);
  state: WorkerState = 'starting';
  health: WorkerHealth = 'healthy';
  pid: number | null = null;
  readonly createdAt = Date.now();
  readyAt = 0;
  lastActivityAt = Date.now();
  requests = 0;
  inFlight = 0;
  /** Upgraded connections (WebSocket tunnels) among inFlight. */
  tunnels = 0;
  /** Requests in flight on this worker ("GET /path"), for crash reports. */
  readonly requestsInFlight = new Map<object, string>();
  /** Requests this worker abandoned when its connection broke (newest last, at most 20). */
  readonly requestsAbandoned: string[] = [];
  /** Set from the moment a recycle of this worker is queued, so one trigger does not queue two. */
  recycling = false;
  /** Set when the recycle begins: a replacement is on its way, this one no longer counts. */
  replaced = false;
  /** Missed a ping: takes no new request while its stacks are captured and it is killed. */
  hung = false;
  /** Why the host is stopping this worker, for the exit event. */
  stopReason: string | null = null;
  exitFacts: ExitFacts | null = null;
  #child: ChildProcess | null = null;
  #channel: ControlChannel | null = null;
  #expectedExit = false;
  #timers = new Set<NodeJS.Timeout>();
  #pingSeq = 0;
  #pendingPing: { id: number; timer: NodeJS.Timeout } | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #exited: Promise<ExitFacts>;
  #resolveExited!: (facts: ExitFacts) => void;

  constructor(id: string, pool: PoolConfig) {
    super();
    this.id = id;
    this.pool = pool;
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  /** Sets where the worker will listen; before start(). */
  setAddress(address: WorkerAddress): void {
    this.address = address;
    this.upstream = new UpstreamPool(address);
  }

  /** Resolves when the process has exited. */
  get exited(): Promise<ExitFacts> {
    return this.#exited;
  }

  get child(): ChildProcess | null {
    return this.#child;
  }

  /** Whether the worker speaks the control channel (sent at least one message). */
  get hasChannel(): boolean {
    return this.#channel !== null && this.#channel.spoken && !this.#channel.closed;
  }

  /** Starts the process. Errors surface as an 'exit' with code null (never a throw). */
  start(spec: SpawnSpec): void {
    if ('path' in this.address) {
      try {
        unlinkSync(this.address.path); // a stale socket file would make the worker's listen fail
      } catch {
        // none there: the usual case
      }
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.file, spec.args as string[], {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        detached: true, // own process group: a stop reaches the worker's children too
      });
    } catch (err) {
      this.emit('spawnError', err);
      this.#onExit(null, null);
      return;
    }
    this.#child = child;
    this.pid = child.pid ?? null;
    child.on('error', (err) => {
      this.emit('spawnError', err);
      if (child.pid === undefined) this.#onExit(null, null);
    });
    child.on('exit', (code, signal) => this.#onExit(code, signal));
    const channelStream = child.stdio[3] as Duplex | null;
    if (channelStream) {
      this.#channel = new ControlChannel(channelStream);
      this.#channel.on('message', (m: WorkerMessage) => this.#onMessage(m));
      this.#channel.on('close', () => this.#onChannelClose());
    }
    this.#arm(this.pool.processModel.startupTimeLimit, () => {
      if (this.state !== 'starting') return;
      this.emit('startupTimeout');
    });
    this.#probeReady();
  }

  /** Marks the worker ready and starts pinging. */
  #becomeReady(): void {
    if (this.state !== 'starting') return;
    this.state = transitionWorker(this.state, 'ready');
    this.readyAt = Date.now();
    this.lastActivityAt = this.readyAt;
    this.#schedulePing();
    this.emit('ready');
  }

  #probeReady(): void {
    // Without a channel, ready = PORT accepts a connection (DESIGN §4). With one, the 'ready'
    // message usually wins; the probe is harmless either way.
    if (this.state !== 'starting') return;
    const socket = 'path' in this.address ? connect(this.address.path) : connect(this.address.port, '127.0.0.1');
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
        if (this.state === 'ready' || this.state === 'starting') {
          this.health = 'unhealthy';
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
    if (!this.#channel?.spoken || this.#expectedExit || !isLive(this.state)) return;
    this.#arm(200, () => {
      if (this.exitFacts === null && isLive(this.state) && !this.#expectedExit) this.emit('channelBroken');
    });
  }

  #schedulePing(): void {
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    const pm = this.pool.processModel;
    if (!pm.pingingEnabled || pm.pingInterval <= 0) return;
    this.#pingTimer = setTimeout(() => {
      this.#pingTimer = null;
      if (this.state !== 'ready') return;
      this.ping();
      this.#schedulePing();
    }, pm.pingInterval);
    this.#pingTimer.unref();
  }

  /** Sends one ping (channel) or HTTP GET of pingPath; a miss emits 'pingMissed'. */
  ping(): void {
    if (this.#pendingPing !== null || this.state !== 'ready') return;
    const pm = this.pool.processModel;
    const id = ++this.#pingSeq;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#pendingPing?.id !== id) return;
      this.#pendingPing = null;
      if (this.state !== 'ready') return;
      // One miss is enough: the pool replaces the worker; more pings would only repeat the verdict.
      this.hung = true;
      this.#stopPinging();
      this.emit('pingMissed', pm.pingResponseTime);
    }, pm.pingResponseTime);
    this.#timers.add(timer);
    if (this.hasChannel) {
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

  #httpPing(id: number, path: string, timeoutMs: number): void {
    const target = 'path' in this.address ? { socketPath: this.address.path } : { host: '127.0.0.1', port: this.address.port };
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

  /** Suspends the process (SIGSTOP to its group): idleTimeoutAction Suspend. */
  suspend(): boolean {
    if (this.state !== 'ready' || this.pid === null) return false;
    this.state = transitionWorker(this.state, 'suspended');
    this.#suspendedAt = Date.now();
    this.upstream.closeIdle();
    this.#signalGroup('SIGSTOP');
    return true;
  }

  /**
   * Whether an event-loop report only measured time the host kept the worker frozen: after a
   * thaw, the SDK's timers fire late by the whole suspension, which is not the app's fault.
   */
  #lagFromSuspension(m: WorkerMessage): boolean {
    const figure = (m as { eventLoopDelayMs?: unknown }).eventLoopDelayMs;
    const lag = typeof figure === 'number' ? figure : null;
    if (lag === null || this.#thawedAt === 0) return false;
    return Date.now() - this.#thawedAt < 5_000 && lag <= this.#suspendedMs + 1_000;
  }

  #suspendedAt = 0;
  #thawedAt = 0;
  #suspendedMs = 0;

  /** Thaws a suspended worker (SIGCONT). */
  thaw(): void {
    if (this.state !== 'suspended') return;
    this.#thawedAt = Date.now();
    this.#suspendedMs = this.#thawedAt - this.#suspendedAt;
    this.#signalGroup('SIGCONT');
    this.state = transitionWorker(this.state, 'ready');
    this.lastActivityAt = Date.now();
    this.#schedulePing();
  }

  /**
   * Drains and stops: no new requests (the pool stops routing here), wait for in-flight requests
   * (tunnels excepted), then `drain` on the channel or SIGTERM, then SIGKILL at `shutdownTimeLimit`.
   */
  async drain(reason: string): Promise<ExitFacts> {
    if (this.state === 'stopped' || this.state === 'orphaned') return this.#exited;
    if (this.state === 'draining') return this.#exited;
    this.stopReason = reason;
    this.#expectedExit = true;
    if (this.state === 'suspended') this.#signalGroup('SIGCONT');
    this.state = transitionWorker(this.state, 'draining');
    this.#stopPinging();
    const limit = this.pool.processModel.shutdownTimeLimit;
    const deadline = Date.now() + limit;
    this.#arm(limit, () => {
      if (this.exitFacts !== null) return;
      this.emit('shutdownTimeout', limit);
      this.kill();
    });
    this.upstream.closeIdle();
    await this.#waitIdle(deadline);
    if (this.exitFacts !== null) return this.#exited;
    this.upstream.closeIdle();
    const remaining = Math.max(0, deadline - Date.now());
    if (!(this.hasChannel && this.#channel!.send({ type: 'drain', deadlineMs: remaining }))) {
      this.#signalGroup('SIGTERM');
    }
    return this.#exited;
  }

  #waitIdle(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.inFlight - this.tunnels <= 0 || this.exitFacts !== null || Date.now() >= deadline) {
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

  /** Remembers a request in flight (method and path only: no query string, no body). */
  track(key: object, method: string, path: string): void {
    this.requestsInFlight.set(key, `${method} ${path}`);
  }

  /** Forgets a request; an abandoned one is kept for the crash report. */
  untrack(key: object, abandoned: boolean): void {
    const what = this.requestsInFlight.get(key);
    if (what === undefined) return;
    this.requestsInFlight.delete(key);
    if (abandoned) {
      this.requestsAbandoned.push(what);
      if (this.requestsAbandoned.length > 20) this.requestsAbandoned.shift();
    }
  }

  /** Called by the pool when a request on this worker finishes. */
  requestDone(): void {
    this.inFlight--;
    this.lastActivityAt = Date.now();
    if (this.inFlight - this.tunnels <= 0) this.emit('idle');
  }

  /** Releases the worker from the pool's care and leaves it running (orphanWorkerProcess). */
  orphan(): void {
    if (!isLive(this.state)) return;
    this.#expectedExit = true;
    this.state = transitionWorker(this.state, 'orphaned');
    this.#stopPinging();
    this.upstream.destroyAll();
  }

  /** Kills the process group now (SIGKILL). */
  kill(): void {
    this.#expectedExit = true;
    this.#signalGroup('SIGKILL');
  }

  /** Marks the coming exit as one the host asked for (used before killing a hung worker). */
  expectExit(reason: string): void {
    this.#expectedExit = true;
    this.stopReason = reason;
  }

  /** Signals the worker's process group (used by the CPU throttle); never throws. */
  signal(signal: NodeJS.Signals): void {
    if (this.state === 'suspended') return; // an idle-suspended worker stays frozen
    this.#signalGroup(signal);
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === null || this.exitFacts !== null) return;
    try {
      process.kill(-this.pid, signal);
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
    if (this.exitFacts !== null) return;
    const stateBefore = this.state;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#stopPinging();
    const facts: ExitFacts = {
      code,
      signal,
      expected: this.#expectedExit,
      stateBefore,
      uptimeMs: Date.now() - this.createdAt,
    };
    this.exitFacts = facts;
    this.state = 'stopped';
    this.#channel?.destroy();
    this.upstream.destroyAll();
    if ('path' in this.address) {
      try {
        unlinkSync(this.address.path);
      } catch {
        // the worker removed it, or never made it
      }
    }
    this.emit('exit', facts);
    this.#resolveExited(facts);
  }

  /** A read-only view for the admin API. */
  inspect(): WorkerSnapshot {
    const stats = this.pid !== null && this.exitFacts === null ? readProcessStats(this.pid) : null;
    return {
      pool: this.pool.name,
      id: this.id,
      pid: this.pid,
      state: this.state,
      health: this.health,
      startedAt: new Date(this.createdAt).toISOString(),
      requests: this.requests,
      inFlight: this.inFlight,
      rssBytes: stats?.rssBytes ?? null,
      cpuSeconds: stats?.cpuSeconds ?? null,
    };
  }
}
