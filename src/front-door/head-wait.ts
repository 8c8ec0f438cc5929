/**
 * The HeaderWait timer of one client connection. A request head must arrive whole within
 * headerWaitTimeout of its first bytes (HTTP.sys Timer_HeaderWait), so a client that trickles a
 * head byte by byte cannot hold a connection forever. Armed only when a head arrives in pieces:
 * the usual one-packet head costs no timer, and a connection whose heads always come whole never
 * makes this object.
 */
export class HeadWait {
  #timer: NodeJS.Timeout | null = null;
  #ms = 0;
  readonly #expired: (ms: number) => void;
  readonly #fire = (): void => {
    this.#timer = null;
    this.#expired(this.#ms);
  };

  /** `expired` is told the limit that ran out. */
  constructor(expired: (ms: number) => void) {
    this.#expired = expired;
  }

  /** Starts the wait for the rest of a head, unless it already runs. */
  arm(ms: number): void {
    if (this.#timer !== null) return;
    this.#ms = ms;
    this.#timer = setTimeout(this.#fire, ms);
    this.#timer.unref();
  }

  clear(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
