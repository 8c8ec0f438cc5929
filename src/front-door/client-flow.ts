/**
 * The pace of one client socket, both ways. Reading pauses for three reasons: an upstream that
 * cannot take the body as fast as it comes, pending bytes past their bound, and answers the client
 * has not read (`blockUntilWritable`, released only by the socket's 'drain'). Writing waiters (an
 * upstream paused for a slow client) are run on 'drain'.
 */
import type { Socket } from 'node:net';

/** Pending request bytes past this pause reading until they are taken. */
export const maxPending = 64 * 1024;
/**
 * The front door stops reading a client whose answers wait unsent past this many bytes: a client
 * that pipelines requests and never reads the answers holds at most this much of the host's
 * memory, whoever answers (a worker, or the front door itself: 404, 400, 503).
 */
export const answerHighWater = 64 * 1024;

export class ClientFlow {
  readonly #socket: Socket;
  #paused = false;
  /** Reading waits until the client has read its answers (socket 'drain'). */
  #writeBlocked = false;
  #drainWaiters: Array<() => void> = [];

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get writeBlocked(): boolean {
    return this.#writeBlocked;
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket.pause();
  }

  /** Reads again, unless answers wait unread or `pendingBytes` are past their bound. */
  resume(pendingBytes: number): void {
    if (!this.#paused || this.#writeBlocked || pendingBytes > maxPending) return;
    this.#paused = false;
    this.#socket.resume();
  }

  /** Stops reading until the client has taken the answers waiting for it. */
  blockUntilWritable(): void {
    if (this.#writeBlocked) return;
    this.#writeBlocked = true;
    this.pause();
  }

  onDrain(fn: () => void): void {
    this.#drainWaiters.push(fn);
  }

  /** The socket drained: runs the waiters; true when reading was blocked on it (now released). */
  drained(): boolean {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const fn of waiters) fn();
    if (!this.#writeBlocked) return false;
    this.#writeBlocked = false;
    return true;
  }
}
