// The worker's end of the control channel (DESIGN §4): an inherited UNIX socket on fd 3 carrying
// one JSON object per line in both directions. Plain JavaScript because the SDK is loaded into
// whatever Node (>= 18) the app runs on, which may not strip TypeScript.
import fs from 'node:fs';
import net from 'node:net';

/**
 * @typedef {{ readonly type: string, readonly [key: string]: unknown }} ControlMessage
 * A message on the channel; `type` is one of ready, ping, pong, unhealthy, drain.
 */

/** Longest line accepted from the host; anything longer is a broken peer, not a message. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * True when `fd` is an open socket. A child process of the worker inherits the environment
 * (PADDOCK_CONTROL_FD, NODE_OPTIONS) but not the descriptor, so the variable alone is not proof.
 * @param {number} fd
 * @returns {boolean}
 */
export function isControlSocket(fd) {
  try {
    return fs.fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

/** One end of the control channel: parses JSON lines, sends JSON lines, reports its close once. */
export class ControlChannel {
  /** @type {net.Socket} */
  #socket;
  #buffer = '';
  #closed = false;
  /** @type {(message: ControlMessage) => void} */
  #onMessage;
  /** @type {(why: string) => void} */
  #onClose;

  /**
   * Opens the channel on an inherited descriptor. The socket is unref'd: the channel alone never
   * keeps the process alive, so an app that finishes its work still exits by itself.
   * @param {number} fd
   * @param {{ onMessage: (message: ControlMessage) => void, onClose: (why: string) => void }} handlers
   */
  constructor(fd, handlers) {
    this.#onMessage = handlers.onMessage;
    this.#onClose = handlers.onClose;
    this.#socket = new net.Socket({ fd, readable: true, writable: true });
    this.#socket.setEncoding('utf8');
    this.#socket.unref();
    this.#socket.on('data', (/** @type {string} */ chunk) => this.#onData(chunk));
    this.#socket.on('end', () => this.#close('end'));
    this.#socket.on('close', () => this.#close('close'));
    this.#socket.on('error', (err) => this.#close(`error ${/** @type {NodeJS.ErrnoException} */ (err).code ?? err.message}`));
  }

  /** True until the host's end closed or the socket failed. */
  get open() {
    return !this.#closed;
  }

  /**
   * Sends one message as a JSON line; a no-op on a closed channel (never throws into the app).
   * @param {ControlMessage} message
   * @returns {boolean} whether the line was handed to the socket
   */
  send(message) {
    if (this.#closed) return false;
    try {
      this.#socket.write(`${JSON.stringify(message)}\n`);
      return true;
    } catch {
      return false;
    }
  }

  /** @param {string} chunk */
  #onData(chunk) {
    this.#buffer += chunk;
    let newline = this.#buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.#buffer.slice(0, newline).trim();
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line !== '') this.#dispatch(line);
      newline = this.#buffer.indexOf('\n');
    }
    if (this.#buffer.length > MAX_LINE_BYTES) {
      this.#buffer = '';
      this.#socket.destroy();
      this.#close('line too long');
    }
  }

  /** @param {string} line */
  #dispatch(line) {
    /** @type {unknown} */
    let parsed;
    try {
      parsed = JSON.parse(line);
    } catch {
      return; // a garbled line is dropped; the host's ping timeout catches a broken peer
    }
    if (parsed === null || typeof parsed !== 'object' || typeof (/** @type {{type?: unknown}} */ (parsed)).type !== 'string') return;
    try {
      this.#onMessage(/** @type {ControlMessage} */ (parsed));
    } catch {
      // a handler's failure must not take the channel down with it
    }
  }

  /** @param {string} why */
  #close(why) {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#onClose(why);
    } catch {
      // never throws into the app
    }
  }
}
