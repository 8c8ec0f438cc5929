/**
 * Latency quantiles for the dashboard's history: a log-scale histogram with buckets 5 % wide
 * from 10 µs to about 3 minutes. A quantile is read as its bucket's geometric middle, so p50 and
 * p99 are within about 2.5 % of the exact value, in fixed memory per interval.
 */

const MIN_MS = 0.01;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 340;

/** Quantiles of the values recorded since the last reset. */
export class QuantileSketch {
  readonly #counts = new Uint32Array(BUCKETS);
  #n = 0;

  get count(): number {
    return this.#n;
  }

  /** Records one value in milliseconds. */
  add(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.#counts[i]++;
    this.#n++;
  }

  /** The value at quantile `q` (0..1) in milliseconds; null when nothing was recorded. */
  quantile(q: number): number | null {
    if (this.#n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return i === 0 ? MIN_MS : MIN_MS * GROWTH ** (i - 0.5);
    }
    return null;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#n = 0;
  }
}
