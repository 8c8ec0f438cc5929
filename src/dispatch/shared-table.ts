/**
 * What the front-door threads agree on, in shared memory and without a lock: which workers take
 * requests and how many each holds, each pool's state, queue bound and queue, and each thread's
 * load. The supervisor (main thread) writes the facts it owns (a worker's state, a pool's state
 * and limits); the threads write the counts (a request granted, ended, queued) with Atomics, each
 * in a column of its own where a thread that dies must leave nothing behind.
 *
 *   worker slot  state · pool · requests granted             (one word each, Atomics)
 *                in flight · tunnels, per thread              (a column per thread)
 *                last activity (epoch ms)                      (Float64, last writer wins)
 *   pool slot    state (0 = taking requests, else how it refuses) · queue capacity · per-worker
 *                limit · grow (a waiting request may start a worker) · demand (a thread asked) ·
 *                freed (a generation a thread bumps when it frees a worker others wait for)
 *                queued, per thread
 *   counters     per thread and pool: requests granted, refusals by reason (Float64, one writer)
 *   thread load  per thread: connections open, requests ended (Float64, one writer)
 *
 * One SharedArrayBuffer holds it all; its layout is fixed when the host starts (threads, pool and
 * worker capacity), so the same offsets hold in every thread.
 */

/** A worker slot's state word: what a thread may do with the worker. */
export const WorkerSlotState = {
  /** No worker in the slot. */
  free: 0,
  /** Starting, draining, hung, orphaned or stopped: takes no new request. */
  closed: 1,
  /** Takes requests. */
  ready: 2,
  /** Frozen by idleTimeoutAction Suspend: takes requests, and the thread that grants one asks the supervisor to thaw it. */
  suspended: 3,
} as const;
export type WorkerSlotState = (typeof WorkerSlotState)[keyof typeof WorkerSlotState];

/** The refusal reasons a pool state word and the counters name, in their fixed order. */
export const refusalReasons = ['QueueFull', 'AppOffline', 'Disabled', 'AppShutdown', 'Connection_Abandoned_By_AppPool', 'RequestTimeout', 'PoisonRequest'] as const;
export type SharedRefusalReason = (typeof refusalReasons)[number];

/** A pool state word: 0 takes requests; else 1 + the reason's index, with `resetBit` for TcpLevel. */
const resetBit = 1 << 8;

// Worker words.
const W_STATE = 0;
const W_POOL = 1;
const W_REQUESTS = 2;
const W_WORDS = 3;
// Pool words.
const P_STATE = 0;
const P_CAPACITY = 1;
const P_LIMIT = 2;
const P_GROW = 3;
const P_DEMAND = 4;
const P_FREED = 5;
const P_WORDS = 6;
// Counters per thread and pool (Float64).
const C_REQUESTS = 0;
const C_REFUSED = 1;
const C_FIELDS = 1 + refusalReasons.length;
// Thread load (Float64).
const T_CONNECTIONS = 0;
const T_REQUESTS = 1;
const T_FIELDS = 2;

/** The sizes a table is made with. */
export interface TableShape {
  readonly threads: number;
  readonly pools: number;
  readonly workers: number;
}

/** The table's memory, as posted to a thread (a SharedArrayBuffer is shared, not copied). */
export interface TableMemory extends TableShape {
  readonly buffer: SharedArrayBuffer;
}

/** A view of the shared table; every thread, main included, makes one over the same memory. */
export class SharedTable {
  readonly shape: TableShape;
  readonly memory: TableMemory;
  readonly #workers: Int32Array;
  readonly #flight: Int32Array;
  readonly #tunnels: Int32Array;
  readonly #activity: Float64Array;
  readonly #pools: Int32Array;
  readonly #queued: Int32Array;
  readonly #counters: Float64Array;
  readonly #load: Float64Array;

  /** A new table of `shape`, or a view over `memory` made elsewhere. */
  constructor(from: TableShape | TableMemory) {
    const { threads, pools, workers } = from;
    if (threads < 1 || pools < 1 || workers < 1) throw new RangeError('a shared table needs at least one thread, pool and worker slot');
    this.shape = { threads, pools, workers };
    const sizes = {
      workers: workers * W_WORDS * 4,
      flight: workers * threads * 4,
      tunnels: workers * threads * 4,
      pools: pools * P_WORDS * 4,
      queued: pools * threads * 4,
      activity: workers * 8,
      counters: threads * pools * C_FIELDS * 8,
      load: threads * T_FIELDS * 8,
    };
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    const buffer = 'buffer' in from ? from.buffer : new SharedArrayBuffer(total);
    if (buffer.byteLength !== total) throw new RangeError(`a shared table of this shape takes ${total} bytes, not ${buffer.byteLength}`);
    this.memory = { buffer, threads, pools, workers };
    // Float64 parts first, so every part starts aligned.
    let at = 0;
    const f64 = (bytes: number): Float64Array => {
      const a = new Float64Array(buffer, at, bytes / 8);
      at += bytes;
      return a;
    };
    const i32 = (bytes: number): Int32Array => {
      const a = new Int32Array(buffer, at, bytes / 4);
      at += bytes;
      return a;
    };
    this.#activity = f64(sizes.activity);
    this.#counters = f64(sizes.counters);
    this.#load = f64(sizes.load);
    this.#workers = i32(sizes.workers);
    this.#flight = i32(sizes.flight);
    this.#tunnels = i32(sizes.tunnels);
    this.#pools = i32(sizes.pools);
    this.#queued = i32(sizes.queued);
  }

  // ---- workers (the supervisor writes state and pool; threads count) -------------------------

  workerState(slot: number): WorkerSlotState {
    return Atomics.load(this.#workers, slot * W_WORDS + W_STATE) as WorkerSlotState;
  }
  setWorkerState(slot: number, state: WorkerSlotState): void {
    Atomics.store(this.#workers, slot * W_WORDS + W_STATE, state);
  }
  /** A suspended worker's first request: true for the one thread that moved it to ready (it asks for the thaw). */
  claimThaw(slot: number): boolean {
    return Atomics.compareExchange(this.#workers, slot * W_WORDS + W_STATE, WorkerSlotState.suspended, WorkerSlotState.ready) === WorkerSlotState.suspended;
  }
  workerPool(slot: number): number {
    return Atomics.load(this.#workers, slot * W_WORDS + W_POOL);
  }
  /** Fills a slot for a new worker of `pool`: nothing in flight, no requests, closed until ready. */
  openWorker(slot: number, pool: number, now: number): void {
    const base = slot * W_WORDS;
    Atomics.store(this.#workers, base + W_POOL, pool);
    Atomics.store(this.#workers, base + W_REQUESTS, 0);
    for (let t = 0; t < this.shape.threads; t++) {
      Atomics.store(this.#flight, slot * this.shape.threads + t, 0);
      Atomics.store(this.#tunnels, slot * this.shape.threads + t, 0);
    }
    this.#activity[slot] = now;
    Atomics.store(this.#workers, base + W_STATE, WorkerSlotState.closed);
  }
  /** Requests granted to the worker in the slot since it started (every thread's). */
  requests(slot: number): number {
    return Atomics.load(this.#workers, slot * W_WORDS + W_REQUESTS) >>> 0;
  }
  /** Requests in flight on the worker, tunnels included, over every thread. */
  inFlight(slot: number): number {
    let n = 0;
    const base = slot * this.shape.threads;
    for (let t = 0; t < this.shape.threads; t++) n += Atomics.load(this.#flight, base + t);
    return n;
  }
  tunnels(slot: number): number {
    let n = 0;
    const base = slot * this.shape.threads;
    for (let t = 0; t < this.shape.threads; t++) n += Atomics.load(this.#tunnels, base + t);
    return n;
  }
  /** The last request granted or ended on the worker (epoch ms). */
  lastActivity(slot: number): number {
    return this.#activity[slot];
  }

  /**
   * Thread `thread` takes one request on the worker if it still takes requests and has room
   * under `limit` (0 = none), counted over every thread: it counts first, then backs off when
   * the total passed the limit, so two threads never both take the last place. Returns the
   * worker's request count after this one, or 0 when it had no room.
   */
  claim(slot: number, thread: number, limit: number, now: number): number {
    const i = slot * this.shape.threads + thread;
    Atomics.add(this.#flight, i, 1);
    // Counted, then checked: the supervisor closes a slot and then reads its count (a drain), so
    // either it sees this request or this thread sees the slot closed.
    const state = Atomics.load(this.#workers, slot * W_WORDS + W_STATE);
    const open = state === WorkerSlotState.ready || state === WorkerSlotState.suspended;
    if (!open || (limit > 0 && this.inFlight(slot) - this.tunnels(slot) > limit)) {
      Atomics.sub(this.#flight, i, 1);
      return 0;
    }
    this.#activity[slot] = now;
    return (Atomics.add(this.#workers, slot * W_WORDS + W_REQUESTS, 1) + 1) >>> 0;
  }
  /** The request became a tunnel: it stays in flight, outside the per-worker limit. */
  tunnelBegan(slot: number, thread: number): void {
    Atomics.add(this.#tunnels, slot * this.shape.threads + thread, 1);
  }
  /** A request of thread `thread` left the worker; returns what the worker still holds but tunnels (over every thread). */
  release(slot: number, thread: number, tunnel: boolean, now: number): number {
    const i = slot * this.shape.threads + thread;
    if (tunnel) Atomics.sub(this.#tunnels, i, 1);
    Atomics.sub(this.#flight, i, 1);
    this.#activity[slot] = now;
    return this.inFlight(slot) - this.tunnels(slot);
  }
  /** Thread `thread` is gone: what it held counts no more (its connections died with it). */
  forgetThread(thread: number): void {
    for (let s = 0; s < this.shape.workers; s++) {
      Atomics.store(this.#flight, s * this.shape.threads + thread, 0);
      Atomics.store(this.#tunnels, s * this.shape.threads + thread, 0);
    }
    for (let p = 0; p < this.shape.pools; p++) Atomics.store(this.#queued, p * this.shape.threads + thread, 0);
    this.#load[thread * T_FIELDS + T_CONNECTIONS] = 0;
  }

  // ---- pools (the supervisor writes state and limits; threads queue and ask) ------------------

  /** 0 when the pool takes requests; else the refusal (see refusalOf). */
  poolState(pool: number): number {
    return Atomics.load(this.#pools, pool * P_WORDS + P_STATE);
  }
  setPoolRefusal(pool: number, refusal: { reason: SharedRefusalReason; reset: boolean } | null): void {
    const word = refusal === null ? 0 : (1 + refusalReasons.indexOf(refusal.reason)) | (refusal.reset ? resetBit : 0);
    Atomics.store(this.#pools, pool * P_WORDS + P_STATE, word);
  }
  setPoolLimits(pool: number, capacity: number, perWorker: number): void {
    Atomics.store(this.#pools, pool * P_WORDS + P_CAPACITY, Math.min(capacity, 0x7fffffff));
    Atomics.store(this.#pools, pool * P_WORDS + P_LIMIT, perWorker);
  }
  queueCapacity(pool: number): number {
    return Atomics.load(this.#pools, pool * P_WORDS + P_CAPACITY);
  }
  perWorkerLimit(pool: number): number {
    return Atomics.load(this.#pools, pool * P_WORDS + P_LIMIT);
  }
  /** Requests queued for the pool, over every thread. */
  queued(pool: number): number {
    let n = 0;
    const base = pool * this.shape.threads;
    for (let t = 0; t < this.shape.threads; t++) n += Atomics.load(this.#queued, base + t);
    return n;
  }
  /** Thread `thread` queued (+1) or took out (-n) requests of the pool. */
  addQueued(pool: number, thread: number, n: number): void {
    Atomics.add(this.#queued, pool * this.shape.threads + thread, n);
  }
  /** The supervisor says whether a request that waits, or a web garden under traffic, may start one more worker. */
  setGrow(pool: number, grow: boolean): void {
    Atomics.store(this.#pools, pool * P_WORDS + P_GROW, grow ? 1 : 0);
  }
  /** A thread wants a worker started: true for the one thread that raised the flag (it tells the supervisor). */
  raiseDemand(pool: number): boolean {
    if (Atomics.load(this.#pools, pool * P_WORDS + P_GROW) === 0) return false;
    return Atomics.compareExchange(this.#pools, pool * P_WORDS + P_DEMAND, 0, 1) === 0;
  }
  /** The supervisor took the demand in hand: the next one is told again. */
  clearDemand(pool: number): void {
    Atomics.store(this.#pools, pool * P_WORDS + P_DEMAND, 0);
  }
  /** The pool's freed generation, for Atomics.waitAsync. */
  freedGeneration(pool: number): number {
    return Atomics.load(this.#pools, pool * P_WORDS + P_FREED);
  }
  /** A worker of the pool took or freed room that requests queued in other threads may use: wakes them. */
  wakeWaiters(pool: number): void {
    const i = pool * P_WORDS + P_FREED;
    Atomics.add(this.#pools, i, 1);
    Atomics.notify(this.#pools, i);
  }
  /** Resolves when the pool's freed generation moves from `seen` (or at once when it has). */
  waitFreed(pool: number, seen: number): Promise<unknown> | null {
    const r = Atomics.waitAsync(this.#pools, pool * P_WORDS + P_FREED, seen);
    return r.async ? r.value : null;
  }
  /** Sets every word of the pool slot but its counters (a pool new at this index). */
  openPool(pool: number): void {
    const base = pool * P_WORDS;
    for (let k = 0; k < P_WORDS; k++) Atomics.store(this.#pools, base + k, 0);
  }

  // ---- counters (one writer per thread and pool) ---------------------------------------------

  countRequest(thread: number, pool: number): void {
    this.#counters[(thread * this.shape.pools + pool) * C_FIELDS + C_REQUESTS]++;
  }
  countRefusal(thread: number, pool: number, reason: SharedRefusalReason): void {
    const k = refusalReasons.indexOf(reason);
    if (k >= 0) this.#counters[(thread * this.shape.pools + pool) * C_FIELDS + C_REFUSED + k]++;
  }
  /** Requests granted a worker of the pool, over every thread. */
  poolRequests(pool: number): number {
    let n = 0;
    for (let t = 0; t < this.shape.threads; t++) n += this.#counters[(t * this.shape.pools + pool) * C_FIELDS + C_REQUESTS];
    return n;
  }
  /** Refusals of the pool by reason, over every thread (reasons with none left out). */
  poolRefusals(pool: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (let k = 0; k < refusalReasons.length; k++) {
      let n = 0;
      for (let t = 0; t < this.shape.threads; t++) n += this.#counters[(t * this.shape.pools + pool) * C_FIELDS + C_REFUSED + k];
      if (n > 0) out[refusalReasons[k]] = n;
    }
    return out;
  }
  /** Clears a pool slot's counters (a new pool at a reused index). */
  clearPoolCounters(pool: number): void {
    for (let t = 0; t < this.shape.threads; t++) this.#counters.fill(0, (t * this.shape.pools + pool) * C_FIELDS, (t * this.shape.pools + pool + 1) * C_FIELDS);
  }

  // ---- thread load (one writer per thread) ----------------------------------------------------

  /** The thread's client connections open now (it writes this at each of its sweeps). */
  setConnections(thread: number, n: number): void {
    this.#load[thread * T_FIELDS + T_CONNECTIONS] = n;
  }
  /** A request of the thread ended (answered, refused or abandoned). */
  requestEnded(thread: number): void {
    this.#load[thread * T_FIELDS + T_REQUESTS]++;
  }
  /** One thread's load: client connections open now, requests ended since the host started. */
  threadLoad(thread: number): { connections: number; requests: number } {
    return { connections: this.#load[thread * T_FIELDS + T_CONNECTIONS], requests: this.#load[thread * T_FIELDS + T_REQUESTS] };
  }
  /** Requests in flight that thread `thread` holds on every worker. */
  threadInFlight(thread: number): number {
    let n = 0;
    for (let s = 0; s < this.shape.workers; s++) n += Atomics.load(this.#flight, s * this.shape.threads + thread);
    return n;
  }
}

/** The refusal a non-zero pool state word names. */
export function refusalOf(word: number): { reason: SharedRefusalReason; reset: boolean } {
  return { reason: refusalReasons[(word & 0xff) - 1] ?? 'Disabled', reset: (word & resetBit) !== 0 };
}
