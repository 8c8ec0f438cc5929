/**
 * The host's end of a worker's control channel (DESIGN §4): an inherited socketpair on the
 * worker's fd 3 carrying one JSON object per line in each direction.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

/** Messages a worker may send. Unknown types are ignored, so the protocol can grow. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly pid?: number }
  | { readonly type: 'pong'; readonly id: number }
  | { readonly type: 'unhealthy'; readonly reason?: string; readonly [k: string]: unknown }
  | { readonly type: string; readonly [k: string]: unknown };

/** Messages the host sends. */
export type HostMessage =
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'drain'; readonly deadlineMs: number };

// A line longer than this is not a control message: a worker printing to fd 3 by mistake.
const maxLineBytes = 1 << 20;

/** JSON-lines framing over a duplex stream; emits 'message', 'invalid' and 'close'. */
export class ControlChannel extends EventEmitter {
  readonly #stream: Duplex;
  #partial = '';
  #closed = false;
  /** True once the worker has sent at least one valid message: it speaks the protocol. */
  spoken = false;

  constructor(stream: Duplex) {
    super();
    this.#stream = stream;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.#onData(chunk));
    stream.on('error', () => this.#onClose());
    stream.on('close', () => this.#onClose());
    stream.on('end', () => this.#onClose());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one message; false when the channel is closed. */
  send(message: HostMessage): boolean {
    if (this.#closed || this.#stream.destroyed) return false;
    this.#stream.write(JSON.stringify(message) + '\n');
    return true;
  }

  /** Closes the host's end: a worker with the Node SDK exits when it sees this. */
  destroy(): void {
    this.#stream.destroy();
    this.#onClose();
  }

  #onData(chunk: string): void {
    let text = this.#partial + chunk;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      const line = text.slice(0, nl).trim();
      text = text.slice(nl + 1);
      if (line.length > 0) this.#onLine(line);
      nl = text.indexOf('\n');
    }
    if (text.length > maxLineBytes) {
      this.emit('invalid', `control line longer than ${maxLineBytes} bytes`);
      text = '';
    }
    this.#partial = text;
  }

  #onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.emit('invalid', `not JSON: ${line.slice(0, 120)}`);
      return;
    }
    if (typeof message !== 'object' || message === null || typeof (message as { type?: unknown }).type !== 'string') {
      this.emit('invalid', `no "type": ${line.slice(0, 120)}`);
      return;
    }
    this.spoken = true;
    this.emit('message', message as WorkerMessage);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }
}
