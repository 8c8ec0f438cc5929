/**
 * The request figures of /metrics, per pool, since the host started: requests by status code and
 * latency histograms (total, time to first byte, queue wait). Fed by the access log's batches,
 * so the front door pays for a record once and these figures cost nothing on the request path.
 */
import type { ObservedRequest } from './observed-request.ts';
import { LatencyHistogram } from './latency-histogram.ts';

/** Requests that matched no app are counted under this pool label (Prometheus: an empty value). */
export const NO_POOL = '';

/** One pool's request figures. */
export class PoolRequestStats {
  /** Requests by the status sent; 0 = nothing was sent (a reset, a client that left). */
  readonly byCode = new Map<number, number>();
  readonly total = new LatencyHistogram();
  readonly ttfb = new LatencyHistogram();
  readonly queueWait = new LatencyHistogram();
  requests = 0;
}

/** Request figures of every pool. */
export class RequestStats {
  readonly pools = new Map<string, PoolRequestStats>();

  /** Adds a batch of finished requests. */
  take(batch: readonly ObservedRequest[]): void {
    let last: PoolRequestStats | null = null;
    let lastName: string | null = null;
    for (const r of batch) {
      const name = r.pool ?? NO_POOL;
      // Batches are mostly one pool's requests in a row: skip the map lookup then.
      const s: PoolRequestStats = name === lastName && last !== null ? last : this.#of(name);
      last = s;
      lastName = name;
      s.requests++;
      s.byCode.set(r.status, (s.byCode.get(r.status) ?? 0) + 1);
      s.total.observe(r.totalMs / 1000);
      if (r.ttfbMs >= 0) s.ttfb.observe(r.ttfbMs / 1000);
      if (r.queueMs >= 0) s.queueWait.observe(r.queueMs / 1000);
    }
  }

  #of(pool: string): PoolRequestStats {
    let s = this.pools.get(pool);
    if (s === undefined) {
      s = new PoolRequestStats();
      this.pools.set(pool, s);
    }
    return s;
  }
}
