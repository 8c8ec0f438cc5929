// The worker agent: one per process, shared through a global symbol so that the copy loaded by
// `--import register.mjs` and a copy the app imports from another path are the same agent. It ties
// the control channel to ready detection, ping, drain and the event-loop watch (DESIGN §4).
import { ControlChannel, isControlSocket } from './channel.mjs';
import { runDrain } from './drain.mjs';
import { eventLoopWatchOptions, startEventLoopWatch } from './event-loop-watch.mjs';
import { hookListen } from './listen-hook.mjs';

const AGENT = Symbol.for('paddock.worker-sdk.agent');
/** Drain deadline when the host sends none: IIS shutdownTimeLimit's default, 90 s. */
const DEFAULT_DRAIN_DEADLINE_MS = 90_000;
/** Grace before exit once the channel closed: the host is gone, nobody can reach our socket. */
const CHANNEL_CLOSED_GRACE_MS = 1000;
/** Node's default 5 s idle keep-alive would close pooled sockets under the host (RFC 9112 §9.8). */
const MIN_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * @typedef {import('node:net').Server & {
 *   keepAliveTimeout?: number, headersTimeout?: number, requestTimeout?: number,
 * }} ListeningServer
 */

/** The per-process state of a managed worker. */
export class WorkerAgent {
  /** @type {ControlChannel} */
  #channel;
  /** @type {Set<ListeningServer>} */
  #servers = new Set();
  /** @type {(() => unknown)[]} */
  #drainHandlers = [];
  #ready = false;
  #draining = false;
  /** @type {(code: number) => void} */
  #exit;
  /** @type {NodeJS.ProcessEnv} */
  #env;

  /**
   * @param {number} fd the control channel's descriptor
   * @param {string} port the PORT variable
   * @param {NodeJS.ProcessEnv} env
   * @param {(code: number) => void} exit
   */
  constructor(fd, port, env, exit) {
    this.#exit = exit;
    this.#channel = new ControlChannel(fd, {
      onMessage: (message) => this.#onMessage(message),
      onClose: () => this.#onChannelClosed(),
    });
    this.#env = env;
    if (port !== '') hookListen(port, (server) => this.#onListening(server), env.PADDOCK_SOCKET ?? '');
  }

  /** True while the control channel is open. */
  get managed() {
    return this.#channel.open;
  }

  /** True once a server listens on PORT and ready was sent. */
  get ready() {
    return this.#ready;
  }

  /**
   * Asks the host to recycle this worker (IIS HSE_REQ_REPORT_UNHEALTHY → event 5078).
   * @param {string} reason
   * @param {Record<string, unknown>} [details]
   * @returns {boolean} whether the message was sent
   */
  reportUnhealthy(reason, details = {}) {
    return this.#channel.send({ ...details, type: 'unhealthy', reason: String(reason) });
  }

  /**
   * Registers cleanup to run when the host drains this worker; exit waits for its promise
   * (bounded by the drain deadline).
   * @param {() => unknown} fn
   * @returns {() => void} removes the handler
   */
  onDrain(fn) {
    this.#drainHandlers.push(fn);
    return () => {
      const i = this.#drainHandlers.indexOf(fn);
      if (i !== -1) this.#drainHandlers.splice(i, 1);
    };
  }

  /** @param {import('./channel.mjs').ControlMessage} message */
  #onMessage(message) {
    if (message.type === 'ping') {
      // Answered here, on the event loop: a blocked loop cannot pong, which is the point (IIS ping).
      this.#channel.send({ type: 'pong', id: message.id });
    } else if (message.type === 'drain') {
      const deadline = Number(message.deadlineMs);
      this.#drain(Number.isFinite(deadline) && deadline > 0 ? deadline : DEFAULT_DRAIN_DEADLINE_MS);
    }
  }

  #onChannelClosed() {
    // The host died or let go of us: a worker must never outlive its host (DESIGN §4).
    if (!this.#draining) {
      this.#drain(CHANNEL_CLOSED_GRACE_MS);
      return;
    }
    const timer = setTimeout(() => this.#exit(0), CHANNEL_CLOSED_GRACE_MS);
    timer.unref();
  }

  /** @param {number} deadlineMs */
  #drain(deadlineMs) {
    if (this.#draining) return;
    this.#draining = true;
    runDrain({ servers: this.#servers, handlers: [...this.#drainHandlers], deadlineMs, exit: this.#exit });
  }

  /** @param {ListeningServer} server */
  #onListening(server) {
    this.#servers.add(server);
    raiseKeepAlive(server);
    if (this.#draining) {
      server.close();
      return;
    }
    if (this.#ready) return;
    this.#ready = true;
    this.#channel.send({ type: 'ready', pid: process.pid });
    startEventLoopWatch(eventLoopWatchOptions(this.#env), (report) => {
      this.#channel.send({ type: 'unhealthy', reason: report.reason, eventLoopDelayMs: report.eventLoopDelayMs });
    });
  }
}

/**
 * The host keeps idle pooled connections for less than 65 s, so the worker must keep them longer
 * or it may close one while the host is sending a request on it.
 * @param {ListeningServer} server
 */
function raiseKeepAlive(server) {
  if (typeof server.keepAliveTimeout !== 'number') return;
  if (server.keepAliveTimeout > 0 && server.keepAliveTimeout < MIN_KEEP_ALIVE_TIMEOUT_MS) {
    server.keepAliveTimeout = MIN_KEEP_ALIVE_TIMEOUT_MS;
  }
  if (typeof server.headersTimeout === 'number' && server.headersTimeout <= server.keepAliveTimeout) {
    const wanted = server.keepAliveTimeout + 1000;
    const cap = typeof server.requestTimeout === 'number' && server.requestTimeout > 0 ? server.requestTimeout : Infinity;
    server.headersTimeout = Math.min(wanted, cap);
  }
}

/**
 * Starts the agent once per process when the host gave a control channel; later calls return the
 * same agent. Returns null for an unmanaged process (no channel), where the SDK does nothing.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {WorkerAgent | null}
 */
export function installWorkerAgent(env = process.env) {
  const holder = /** @type {{ [AGENT]?: WorkerAgent | null }} */ (/** @type {unknown} */ (globalThis));
  if (holder[AGENT] !== undefined) return holder[AGENT];
  /** @type {WorkerAgent | null} */
  let agent = null;
  try {
    const fd = Number(env.PADDOCK_CONTROL_FD);
    if (env.PADDOCK_CONTROL_FD !== undefined && Number.isInteger(fd) && fd > 2 && isControlSocket(fd)) {
      agent = new WorkerAgent(fd, env.PORT ?? '', env, (code) => process.exit(code));
    }
  } catch {
    agent = null; // the SDK must never stop an app from starting
  }
  holder[AGENT] = agent;
  return agent;
}
