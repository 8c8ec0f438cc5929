/**
 * A worker's readiness probe and health pings (DESIGN §4): the probe says when a starting worker
 * is ready, the pings whether a ready one still answers. The worker process (worker-process.ts)
 * owns one and is told through its host's callbacks: ready, a ping missed, a FastCGI probe about
 * to wait; the verdicts (what a miss means) stay with the worker and its pool.
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import type { PoolConfig } from '../config/types.ts';
import type { WorkerAddress } from './spawn-spec.ts';
import type { WorkerState } from './worker-state.ts';
import { getScript, getValues, type ProbeResult } from '../fastcgi/probe.ts';

const readyProbeIntervalMs = 25;

/** What the probes read of their worker and tell it. */
export interface ProbeHost {
  readonly pool: PoolConfig;
  state(): WorkerState;
  address(): WorkerAddress;
  /** The worker sent at least one message on its control channel (open or closed since). */
  channelSpoken(): boolean;
  /** The worker speaks the control channel now (WorkerProcess.hasChannel). */
  hasChannel(): boolean;
  /** Sends a ping on the control channel. */
  sendPing(id: number): void;
  /** Arms a timer the worker clears when it exits. */
  arm(ms: number, fn: () => void): void;
  /** The ready probe was answered. */
  ready(): void;
  /** A FastCGI probe is about to wait on a connection of its own: the front door closes its idle ones. */
  probing(): void;
  /** A ping went unanswered within `responseTimeMs`; the pings have stopped. */
  missed(responseTimeMs: number): void;
}

/** The ready probe and the pings of one worker. */
export class WorkerProbes {
  readonly #host: ProbeHost;
  #pingSeq = 0;
  #pendingPing: { id: number; timer: NodeJS.Timeout } | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  /** A FastCGI probe waits on a connection of its own (see WorkerProcess.probePending). */
  #probing = false;

  constructor(host: ProbeHost) {
    this.#host = host;
  }

  /** A FastCGI probe (ready or ping) waits for the worker on a connection of its own. */
  get probing(): boolean {
    return this.#probing;
  }

  probeReady(): void {
    // Without a channel, ready = PORT accepts a connection (DESIGN §4). With one, the 'ready'
    // message usually wins; the probe is harmless either way.
    const host = this.#host;
    if (host.state() !== 'starting') return;
    if (host.pool.protocol === 'fastcgi') return this.#probeFastCgiReady();
    const a = host.address();
    const socket = 'path' in a ? connect(a.path) : connect(a.port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      // A worker that speaks the channel says when it is ready; trust the message, not the port.
      if (host.channelSpoken()) return;
      host.ready();
    });
    socket.once('error', () => {
      socket.destroy();
      host.arm(readyProbeIntervalMs, () => this.probeReady());
    });
  }

  /**
   * A FastCGI worker's socket accepts connections before the process runs (the host made it), so
   * ready is an answer to FCGI_GET_VALUES: the application runs its accept loop (docs/php.md).
   */
  #probeFastCgiReady(): void {
    const host = this.#host;
    void this.#fastcgiProbe(() => getValues(host.address(), Math.max(250, host.pool.processModel.startupTimeLimit))).then((r) => {
      if (host.state() !== 'starting') return;
      if (r.kind === 'answered') host.ready();
      else host.arm(readyProbeIntervalMs, () => this.probeReady());
    });
  }

  /** Runs a FastCGI probe with probePending set, after the front door closed its idle connections. */
  async #fastcgiProbe(run: () => Promise<ProbeResult>): Promise<ProbeResult> {
    this.#probing = true;
    this.#host.probing();
    try {
      return await run();
    } finally {
      this.#probing = false;
    }
  }

  /** Pings every pingInterval while the worker is ready (when pinging is enabled). */
  schedulePing(): void {
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    const pm = this.#host.pool.processModel;
    if (!pm.pingingEnabled || pm.pingInterval <= 0) return;
    this.#pingTimer = setTimeout(() => {
      this.#pingTimer = null;
      if (this.#host.state() !== 'ready') return;
      this.ping();
      this.schedulePing();
    }, pm.pingInterval);
    this.#pingTimer.unref();
  }

  /** Sends one ping (channel) or HTTP GET of pingPath; a miss calls the host's `missed`. */
  ping(): void {
    const host = this.#host;
    if (this.#pendingPing !== null || host.state() !== 'ready') return;
    const pm = host.pool.processModel;
    const id = ++this.#pingSeq;
    const timer = setTimeout(() => {
      if (this.#pendingPing?.id !== id) return;
      this.#pendingPing = null;
      if (host.state() !== 'ready') return;
      // One miss is enough: the pool replaces the worker; more pings would only repeat the verdict.
      this.stop();
      host.missed(pm.pingResponseTime);
    }, pm.pingResponseTime);
    if (host.pool.protocol === 'fastcgi') {
      this.#pendingPing = { id, timer };
      this.#fastcgiPing(id, pm.pingPath, pm.pingResponseTime);
    } else if (host.hasChannel()) {
      this.#pendingPing = { id, timer };
      host.sendPing(id);
    } else if (pm.pingPath !== null) {
      this.#pendingPing = { id, timer };
      this.#httpPing(id, pm.pingPath, pm.pingResponseTime);
    } else {
      clearTimeout(timer);
    }
  }

  /** FCGI_GET_VALUES, or a GET of the pingPath script (a 2xx answer), within the ping's time. */
  #fastcgiPing(id: number, path: string | null, timeoutMs: number): void {
    const a = this.#host.address();
    const run = path === null ? () => getValues(a, timeoutMs) : () => getScript(a, path, this.#host.pool.documentRoot, timeoutMs);
    void this.#fastcgiProbe(run).then((r) => {
      const ok = r.kind === 'answered' && (r.status === null || (r.status >= 200 && r.status < 300));
      if (ok) this.pong(id);
      // A failed probe is left to the response-time timer: it counts as a missed ping.
    });
  }

  /** The worker answered ping `id` (a pong on the channel, or a probe's answer). */
  pong(id: number): void {
    if (this.#pendingPing?.id !== id) return;
    clearTimeout(this.#pendingPing.timer);
    this.#pendingPing = null;
  }

  #httpPing(id: number, path: string, timeoutMs: number): void {
    const a = this.#host.address();
    const target = 'path' in a ? { socketPath: a.path } : { host: '127.0.0.1', port: a.port };
    const req = request({ ...target, path, method: 'GET', agent: false, timeout: timeoutMs, headers: { host: 'localhost', 'user-agent': 'paddock-ping' } }, (res) => {
      res.resume();
      const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
      if (ok) this.pong(id);
      // A non-2xx answer is left to the response-time timer: it counts as a missed ping.
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {});
    req.end();
  }

  /** No more pings: the next one's timer and the pending one's are cleared. */
  stop(): void {
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    if (this.#pendingPing) clearTimeout(this.#pendingPing.timer);
    this.#pendingPing = null;
  }
}
