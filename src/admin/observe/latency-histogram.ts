/**
 * A Prometheus histogram kept as plain counters: `observe` is a few comparisons and two additions,
 * cheap enough to run for every request, and the exposition is written from the counters at
 * scrape time. Buckets are cumulative only when rendered (Prometheus text format 0.0.4).
 */

/** Upper bounds in seconds, from half a millisecond (a relayed hello world) to a minute. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One histogram series (one pool). */
export class LatencyHistogram {
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = LATENCY_BUCKETS) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value in seconds. */
  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  /** Cumulative counts per bound, then +Inf (which equals `count`). */
  cumulative(): number[] {
    const out: number[] = [];
    let n = 0;
    for (const c of this.counts) out.push((n += c));
    return out;
  }
}
