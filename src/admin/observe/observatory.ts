/**
 * Everything the host observes about itself for /metrics, the dashboard and `paddock top`: the
 * request figures (from the access log's batches), the history of the last hour, the counters of
 * events, the CPU of the pools' processes (those that exited included) and the event loop's delay.
 * The supervisor makes one and hands it the access log and the event log; nothing here touches
 * a request while it runs.
 */
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import type { RequestSource } from './observed-request.ts';
import type { EventLog } from '../../events/event-log.ts';
import type { PoolSnapshot } from '../../pools/pool-snapshot.ts';
import { EventCounters, markKindOf } from './event-counters.ts';
import { RequestHistory, type HistoryOptions, type HistorySnapshot } from './history.ts';
import { RequestStats } from './request-stats.ts';

export interface ObservatoryOptions {
  /** The access log, whose batches carry every finished request. */
  readonly accessLog: RequestSource;
  readonly events: EventLog;
  /** The pools as they are now (their snapshots read each worker's /proc). */
  readonly pools: () => PoolSnapshot[];
  readonly history?: HistoryOptions;
}

/** Event-loop delay figures over the last window, in seconds. */
export interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The host's figures about itself. */
export class Observatory {
  readonly requests = new RequestStats();
  readonly history: RequestHistory;
  readonly counters = new EventCounters();
  readonly #pools: () => PoolSnapshot[];
  readonly #loop: ELDHistogram;
  /** CPU seconds last seen per live worker, to add to its pool's total when it is gone. */
  readonly #lastCpu = new Map<string, { readonly pool: string; cpu: number }>();
  readonly #retiredCpu = new Map<string, number>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #timer: NodeJS.Timeout;

  constructor(options: ObservatoryOptions) {
    this.#pools = options.pools;
    this.history = new RequestHistory(options.history);
    this.#unsubscribe.push(options.accessLog.onBatch((batch) => {
      this.requests.take(batch);
      this.history.take(batch);
    }));
    this.#unsubscribe.push(options.events.on((e) => {
      this.counters.take(e);
      const kind = markKindOf(e);
      if (kind !== null && e.pool !== null) this.history.mark({ time: Date.parse(e.time), kind, id: e.id, pool: e.pool, worker: e.worker, message: e.message });
    }));
    this.#loop = monitorEventLoopDelay({ resolution: 10 });
    this.#loop.enable();
    this.#timer = setInterval(() => this.#sample(), this.history.intervalMs);
    this.#timer.unref();
  }

  #sample(): void {
    try {
      const pools = this.pools();
      this.history.sample(Date.now(), pools.map((p) => ({ name: p.name, rssBytes: sum(p.workers.map((w) => w.rssBytes)) })));
    } catch {
      // A background loop never throws (STYLE §5): the next interval tries again.
    }
  }

  /** The pools now; also brings the CPU totals up to date. */
  pools(): PoolSnapshot[] {
    const pools = this.#pools();
    const seen = new Set<string>();
    for (const p of pools) {
      for (const w of p.workers) {
        seen.add(w.id);
        if (w.cpuSeconds === null) continue;
        const last = this.#lastCpu.get(w.id);
        if (last === undefined) this.#lastCpu.set(w.id, { pool: p.name, cpu: w.cpuSeconds });
        else last.cpu = Math.max(last.cpu, w.cpuSeconds);
      }
    }
    for (const [id, last] of this.#lastCpu) {
      if (seen.has(id)) continue;
      this.#retiredCpu.set(last.pool, (this.#retiredCpu.get(last.pool) ?? 0) + last.cpu);
      this.#lastCpu.delete(id);
    }
    return pools;
  }

  /**
   * CPU seconds used by the pool's worker processes since the host started: the exited ones as
   * last seen (sampled every history interval) plus the live ones now.
   */
  cpuSeconds(pool: PoolSnapshot): number {
    let n = this.#retiredCpu.get(pool.name) ?? 0;
    for (const w of pool.workers) n += w.cpuSeconds ?? 0;
    return n;
  }

  /** Event-loop delay since the previous call (each scrape starts a new window). */
  takeLoopDelay(): LoopDelay {
    const h = this.#loop;
    // monitorEventLoopDelay reports nanoseconds; an empty window reads as 0, not the huge initial min.
    const none = h.count === 0;
    const d = { p50: none ? 0 : h.percentile(50) / 1e9, p99: none ? 0 : h.percentile(99) / 1e9, max: none ? 0 : h.max / 1e9 };
    h.reset();
    return d;
  }

  /** The history of one pool or all (`GET /api/history`). */
  historySnapshot(pool?: string): HistorySnapshot {
    return this.history.snapshot(pool);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#loop.disable();
    for (const u of this.#unsubscribe) u();
  }
}

function sum(values: ReadonlyArray<number | null>): number | null {
  let n: number | null = null;
  for (const v of values) if (v !== null) n = (n ?? 0) + v;
  return n;
}
