/**
 * A client connection's quiesce at host stop, while its first request may still be on its way.
 * The host is stopping, and its listeners are closed. A request a connection already carries is
 * served, including the first request of a connection accepted just before the listeners closed,
 * which may still be on its way (up to `graceMs`); after that the connection closes instead of
 * staying alive, and an idle keep-alive connection closes at once. The wait resolves when the
 * connection asks nothing more of the pools (its request is in hand, or it is closed), so that the
 * pools stop taking requests only then: no request that reached the host gets a 503.
 */
import type { Socket } from 'node:net';

/** The wait for a connection's first request: made only at host stop. */
export class FirstRequestWait {
  readonly promise: Promise<void>;
  #resolve: (() => void) | null = null;
  readonly #timer: NodeJS.Timeout;
  /** Over: the request came, the connection closed, or the grace ran out. */
  readonly done = (): void => {
    clearTimeout(this.#timer);
    this.#resolve?.();
  };

  /** `graceOver` runs when `graceMs` pass with no request taken (then the wait is done). */
  constructor(socket: Socket, graceMs: number, graceOver: () => void) {
    this.promise = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    this.#timer = setTimeout(() => {
      graceOver();
      this.done();
    }, graceMs);
    socket.once('close', this.done);
  }
}
