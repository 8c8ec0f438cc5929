/**
 * The dashboard's history: per pool, one point per interval (default 5 s) over the last hour —
 * requests/s, errors/s, p50 and p99 latency, memory — plus the crash, hang, recycle and stop
 * events to mark on the time axis. Kept in the host's memory and bounded: at most
 * span/interval points per pool (720 by default) and MAX_MARKS marks, whatever the traffic.
 */
import type { ObservedRequest } from './observed-request.ts';
import { QuantileSketch } from './quantile-sketch.ts';

export type MarkKind = 'crash' | 'hang' | 'recycle' | 'stop';

/** An event shown on the time axis. */
export interface HistoryMark {
  /** Epoch ms. */
  readonly time: number;
  readonly kind: MarkKind;
  /** Event number (DESIGN §6). */
  readonly id: number;
  readonly pool: string;
  readonly worker: string | null;
  readonly message: string;
}

/** One pool's series, oldest first; all arrays have the same length. */
export interface PoolHistory {
  /** End of each interval, epoch ms. */
  readonly t: number[];
  readonly rps: number[];
  /** 5xx answers and requests that got no answer, per second. */
  readonly errorsPerSec: number[];
  /** Latency in ms; null for an interval without requests. */
  readonly p50Ms: Array<number | null>;
  readonly p99Ms: Array<number | null>;
  /** Resident memory of the pool's worker processes; null when none was running. */
  readonly rssBytes: Array<number | null>;
}

/** What `GET /api/history` answers. */
export interface HistorySnapshot {
  readonly intervalMs: number;
  readonly spanMs: number;
  readonly pools: Record<string, PoolHistory>;
  readonly marks: readonly HistoryMark[];
}

export interface HistoryOptions {
  /** One point per this many ms. Default 5 s. */
  readonly intervalMs?: number;
  /** Points older than this are dropped. Default 1 h. */
  readonly spanMs?: number;
}

/** Marks kept at most, newest kept. */
export const MAX_MARKS = 2000;

interface Accumulator {
  requests: number;
  errors: number;
  readonly latency: QuantileSketch;
}

/** The history of every pool. */
export class RequestHistory {
  readonly intervalMs: number;
  readonly spanMs: number;
  readonly #capacity: number;
  readonly #current = new Map<string, Accumulator>();
  readonly #series = new Map<string, PoolHistory>();
  #marks: HistoryMark[] = [];
  #lastSample = 0;

  constructor(options: HistoryOptions = {}) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.spanMs = options.spanMs ?? 3_600_000;
    this.#capacity = Math.max(1, Math.ceil(this.spanMs / this.intervalMs));
  }

  /** Adds a batch of finished requests to the current interval. */
  take(batch: readonly ObservedRequest[]): void {
    for (const r of batch) {
      if (r.pool === null) continue;
      let a = this.#current.get(r.pool);
      if (a === undefined) {
        a = { requests: 0, errors: 0, latency: new QuantileSketch() };
        this.#current.set(r.pool, a);
      }
      a.requests++;
      if (r.status >= 500 || r.status === 0) a.errors++;
      a.latency.add(r.totalMs);
    }
  }

  /** Closes the current interval: one point for each pool in `pools` (the pools that exist now). */
  sample(now: number, pools: ReadonlyArray<{ readonly name: string; readonly rssBytes: number | null }>): void {
    const seconds = (this.#lastSample === 0 ? this.intervalMs : Math.max(1, now - this.#lastSample)) / 1000;
    this.#lastSample = now;
    const names = new Set<string>();
    for (const p of pools) {
      names.add(p.name);
      let s = this.#series.get(p.name);
      if (s === undefined) {
        s = { t: [], rps: [], errorsPerSec: [], p50Ms: [], p99Ms: [], rssBytes: [] };
        this.#series.set(p.name, s);
      }
      const a = this.#current.get(p.name);
      s.t.push(now);
      s.rps.push(round((a?.requests ?? 0) / seconds));
      s.errorsPerSec.push(round((a?.errors ?? 0) / seconds));
      s.p50Ms.push(a ? nullableRound(a.latency.quantile(0.5)) : null);
      s.p99Ms.push(a ? nullableRound(a.latency.quantile(0.99)) : null);
      s.rssBytes.push(p.rssBytes);
      if (s.t.length > this.#capacity) for (const k of Object.keys(s) as Array<keyof PoolHistory>) s[k].shift();
    }
    this.#current.clear();
    // A pool removed by a reload has no more points; its history goes with it.
    for (const name of this.#series.keys()) if (!names.has(name)) this.#series.delete(name);
    const oldest = now - this.spanMs;
    if (this.#marks.length > 0 && this.#marks[0].time < oldest) this.#marks = this.#marks.filter((m) => m.time >= oldest);
  }

  /** Adds an event to mark on the time axis. */
  mark(m: HistoryMark): void {
    this.#marks.push(m);
    if (this.#marks.length > MAX_MARKS) this.#marks.splice(0, this.#marks.length - MAX_MARKS);
  }

  /** A copy of the history, of one pool or all. */
  snapshot(pool?: string): HistorySnapshot {
    const pools: Record<string, PoolHistory> = {};
    for (const [name, s] of this.#series) {
      if (pool !== undefined && name !== pool) continue;
      pools[name] = { t: [...s.t], rps: [...s.rps], errorsPerSec: [...s.errorsPerSec], p50Ms: [...s.p50Ms], p99Ms: [...s.p99Ms], rssBytes: [...s.rssBytes] };
    }
    const marks = pool === undefined ? [...this.#marks] : this.#marks.filter((m) => m.pool === pool);
    return { intervalMs: this.intervalMs, spanMs: this.spanMs, pools, marks };
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function nullableRound(v: number | null): number | null {
  return v === null ? null : round(v);
}
