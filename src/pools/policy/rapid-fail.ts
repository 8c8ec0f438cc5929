/**
 * Rapid-fail protection (IIS `failure.rapidFailProtection*`): failures are counted in a sliding
 * window; reaching the maximum within it stops the pool. The same rule as an OTP supervisor's
 * restart intensity: more than N restarts in T ends the supervisor.
 *
 * Pure: the caller passes the time, so tests need no clock and no processes.
 */
export type FailureKind = 'crash' | 'pingMissed' | 'channelBroken' | 'startupTimeLimit' | 'shutdownTimeLimit' | 'overlappedRecycleFailed' | 'unhealthyAtStart';

export interface RapidFailOptions {
  readonly enabled: boolean;
  /** Window length in ms (rapidFailProtectionInterval). */
  readonly intervalMs: number;
  /** Failures within the window that trip the protection (rapidFailProtectionMaxCrashes). */
  readonly maxFailures: number;
}

export interface FailureRecord {
  readonly at: number;
  readonly kind: FailureKind;
}

/** A sliding window of failures for one pool. */
export class RapidFailWindow {
  readonly #options: RapidFailOptions;
  #failures: FailureRecord[] = [];

  constructor(options: RapidFailOptions) {
    this.#options = options;
  }

  /** Records a failure at `now`; returns true when the pool must stop. */
  record(kind: FailureKind, now: number): boolean {
    this.#prune(now);
    this.#failures.push({ at: now, kind });
    return this.#options.enabled && this.#failures.length >= this.#options.maxFailures;
  }

  /** Failures within the window ending at `now`. */
  count(now: number): number {
    this.#prune(now);
    return this.#failures.length;
  }

  /** The failures within the window, oldest first (for the 5002 event's details). */
  recent(now: number): readonly FailureRecord[] {
    this.#prune(now);
    return [...this.#failures];
  }

  /** Forgets every failure: `paddock start` after a rapid-fail stop begins afresh. */
  clear(): void {
    this.#failures = [];
  }

  #prune(now: number): void {
    const from = now - this.#options.intervalMs;
    let drop = 0;
    while (drop < this.#failures.length && this.#failures[drop].at <= from) drop++;
    if (drop > 0) this.#failures.splice(0, drop);
  }
}
