/**
 * HTTP.sys's EntityBody timer (`webLimits.entityBodyTimeout`): a request body that sends nothing
 * for this long is answered 408 and its connection closed, so a client that stalls an upload
 * cannot hold a connection and a worker's request forever. One coarse sweep for every connection
 * reading a body, instead of a timer per request: a connection only notes that bytes came
 * (a boolean), and the sweep turns that into time.
 */

/** Where a connection reading a body is, as the sweep asks it. */
export type BodyProgress = 'reading' | 'stalled' | 'done';

/** A connection whose request body is on its way. */
export interface BodyReader {
  /** Since the last sweep: did body bytes come, is the body whole, or has it sent nothing for `limitMs`? */
  bodyProgress(now: number, limitMs: number): BodyProgress;
  /** The body sent nothing for `limitMs`: answer 408 and close. */
  bodyTimedOut(limitMs: number): void;
}

/**
 * Whether a body that last moved at `lastMovedAt` has stalled. Time the front door itself stopped
 * reading (`pausedByUs`: the worker is slow to take the body, or the queue is long) is not the
 * client's, so it never counts. `limitMs` 0 = no limit.
 */
export function bodyStalled(lastMovedAt: number, pausedByUs: boolean, limitMs: number, now: number): boolean {
  return limitMs > 0 && !pausedByUs && now - lastMovedAt >= limitMs;
}

/** One connection's body clock: the connection notes that bytes came; the sweep turns that into time. */
export class BodyClock {
  /** Body bytes came since the sweep last looked. */
  moved = false;
  #movedAt: number;

  constructor(now: number) {
    this.#movedAt = now;
  }

  /** What the sweep sees now; `pausedByUs`: the front door stopped reading, so the wait is not the client's. */
  progress(now: number, limitMs: number, pausedByUs: boolean): 'reading' | 'stalled' {
    if (this.moved || pausedByUs) {
      this.moved = false;
      this.#movedAt = now;
      return 'reading';
    }
    return bodyStalled(this.#movedAt, pausedByUs, limitMs, now) ? 'stalled' : 'reading';
  }
}

/** How often the sweep runs for a limit: a quarter of it, between 50 ms and 1 s. */
export function sweepEveryMs(limitMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(limitMs / 4)));
}

/** The connections reading a body, and the one timer that sweeps them while there are any. */
export class BodyWatch {
  readonly #readers = new Set<BodyReader>();
  readonly #limitMs: () => number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #everyMs = 0;

  /** `limitMs` is read at every sweep (a reload may change it); 0 turns the timer off. */
  constructor(limitMs: () => number, now: () => number = Date.now) {
    this.#limitMs = limitMs;
    this.#now = now;
  }

  /** Starts watching `reader` (its body has begun and is not whole). */
  add(reader: BodyReader): void {
    if (this.#limitMs() <= 0) return;
    this.#readers.add(reader);
    this.#arm();
  }

  delete(reader: BodyReader): void {
    this.#readers.delete(reader);
  }

  get size(): number {
    return this.#readers.size;
  }

  /** One pass: drops the readers whose body is whole, times out the stalled ones. Never throws. */
  sweep(): void {
    const limit = this.#limitMs();
    const now = this.#now();
    for (const r of [...this.#readers]) {
      const p = limit > 0 ? r.bodyProgress(now, limit) : 'done';
      if (p === 'reading') continue;
      this.#readers.delete(r);
      if (p === 'stalled') {
        try {
          r.bodyTimedOut(limit);
        } catch {
          // a connection's own failure costs that connection only (it logs and closes itself)
        }
      }
    }
    if (this.#readers.size === 0) this.stop();
    else if (sweepEveryMs(limit) !== this.#everyMs) this.#rearm();
  }

  /** Stops the timer (host stop, or nothing to watch). */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#timer === null) this.#rearm();
  }

  #rearm(): void {
    this.stop();
    this.#everyMs = sweepEveryMs(this.#limitMs());
    this.#timer = setInterval(() => this.sweep(), this.#everyMs);
    this.#timer.unref();
  }
}
