/**
 * The supervisor's side of the shared table: it gives each pool a column and each worker a slot,
 * writes the facts it owns (pool state and limits, a worker's state), tells every front-door thread
 * what changed (dispatch/messages.ts), and hands what a thread reports to the pool or worker it is
 * about. It keeps the facts of every live worker, so a thread that replaces one that failed starts
 * knowing them.
 */
import type { PoolConfig } from '../config/types.ts';
import type { ConnectionsVerdict, ExitFacts } from '../supervisor/worker-process.ts';
import type { FromThread, PoolEntry, ToThread, WorkerFacts } from './messages.ts';
import { SharedTable, WorkerSlotState, type SharedRefusalReason, type TableShape } from './shared-table.ts';

/** A thread's report about one worker (the slot named). */
export type WorkerReport = Extract<FromThread, { slot: number }>;
/** A thread's report about one pool. */
export type PoolReport = Extract<FromThread, { pool: string }>;

interface SlotEntry {
  facts: WorkerFacts;
  onReport: (report: WorkerReport, thread: number) => void;
  exited: boolean;
}

export class ThreadDispatch {
  readonly table: SharedTable;
  /** Set by the front-door threads: sends a message to every thread. */
  broadcast: (message: ToThread) => void = () => {};
  readonly #pools = new Map<string, { index: number; config: PoolConfig; onReport: (report: PoolReport) => void }>();
  readonly #freePools: number[] = [];
  #nextPool = 0;
  readonly #slots = new Map<number, SlotEntry>();
  readonly #freeSlots: number[] = [];
  /** Questions to every thread about a worker's requests, by slot. */
  readonly #heldAsked = new Map<number, { left: number; labels: string[]; done: () => void }>();
  #nextSlot = 0;

  constructor(shape: TableShape) {
    this.table = new SharedTable(shape);
  }

  get threads(): number {
    return this.table.shape.threads;
  }

  // ---- pools -----------------------------------------------------------------------------------

  /** The pool's column, made on first use; `onReport` gets what threads say about the pool. */
  addPool(config: PoolConfig, onReport: (report: PoolReport) => void): number {
    const known = this.#pools.get(config.name);
    if (known !== undefined) {
      known.config = config;
      known.onReport = onReport;
      return known.index;
    }
    const index = this.#freePools.pop() ?? this.#nextPool++;
    if (index >= this.table.shape.pools) throw new RangeError(`the front door's shared table holds ${this.table.shape.pools} pools; restart the host to serve more`);
    this.table.openPool(index);
    this.table.clearPoolCounters(index);
    this.#pools.set(config.name, { index, config, onReport });
    return index;
  }

  /** A pool's configuration changed (the threads learn it with the next `publishConfig`). */
  poolConfigured(config: PoolConfig): void {
    const p = this.#pools.get(config.name);
    if (p !== undefined) p.config = config;
  }

  /** The pool left the configuration: its column is free again. */
  removePool(name: string): void {
    const p = this.#pools.get(name);
    if (p === undefined) return;
    this.#pools.delete(name);
    this.table.setPoolRefusal(p.index, { reason: 'Disabled', reset: false });
    this.#freePools.push(p.index);
  }

  /** The pools and their columns, as a thread is told them. */
  poolEntries(): PoolEntry[] {
    return [...this.#pools].map(([name, p]) => ({ name, index: p.index, config: p.config }));
  }

  /** Refuses every request the threads hold queued for the pool (it stopped). */
  refuseQueued(pool: string, refusal: { reason: SharedRefusalReason; reset: boolean }): void {
    this.broadcast({ t: 'refuseQueued', pool, refusal });
  }

  // ---- workers ---------------------------------------------------------------------------------

  /** A slot for a new worker of `pool` (closed until it is ready); `onReport` gets what threads say about it. */
  openWorker(poolIndex: number, facts: Omit<WorkerFacts, 'slot'>, onReport: (report: WorkerReport, thread: number) => void, now: number): number {
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    if (slot >= this.table.shape.workers) throw new RangeError(`the front door's shared table holds ${this.table.shape.workers} workers`);
    this.table.openWorker(slot, poolIndex, now);
    this.#slots.set(slot, { facts: { ...facts, slot }, onReport, exited: false });
    return slot;
  }

  /** The worker's facts changed: the table's word first (threads read it on every request), then the message. */
  workerChanged(slot: number, facts: Omit<WorkerFacts, 'slot'>): void {
    const e = this.#slots.get(slot);
    if (e === undefined || e.exited) return;
    e.facts = { ...facts, slot };
    const word = facts.hung ? WorkerSlotState.closed
      : facts.state === 'ready' ? WorkerSlotState.ready
        : facts.state === 'suspended' ? WorkerSlotState.suspended
          : WorkerSlotState.closed;
    this.table.setWorkerState(slot, word);
    this.broadcast({ t: 'worker', worker: e.facts });
  }

  connections(slot: number, verdict: ConnectionsVerdict): void {
    if (this.#slots.has(slot)) this.broadcast({ t: 'connections', slot, verdict });
  }

  /** The worker exited: the threads let go of it; its slot is reused once no thread counts a request on it. */
  exited(slot: number, facts: ExitFacts): void {
    const e = this.#slots.get(slot);
    if (e === undefined || e.exited) return;
    e.exited = true;
    this.table.setWorkerState(slot, WorkerSlotState.closed);
    this.broadcast({ t: 'exit', slot, facts });
  }

  /** Frees the slots of exited workers no thread counts a request on (the host's tick). */
  sweepSlots(): void {
    for (const [slot, e] of this.#slots) {
      if (!e.exited || this.table.inFlight(slot) !== 0) continue;
      this.#slots.delete(slot);
      this.table.setWorkerState(slot, WorkerSlotState.free);
      this.#freeSlots.push(slot);
    }
  }

  /** The facts of every worker not yet exited (for a thread that starts now). */
  liveWorkers(): WorkerFacts[] {
    return [...this.#slots.values()].filter((e) => !e.exited).map((e) => e.facts);
  }

  /**
   * A thread is gone: what it counted counts no more, and every worker hears that it may be idle
   * now (a drain that waited for that thread's requests goes on).
   */
  threadGone(thread: number): void {
    this.table.forgetThread(thread);
    for (const [slot, e] of this.#slots) if (!e.exited) e.onReport({ t: 'idle', slot }, thread);
  }

  /**
   * The requests every thread holds on the worker (or held when its connections were closed), for
   * a hang report; what the threads that answered within `timeoutMs` said.
   */
  collectHeld(slot: number, timeoutMs = 1_000): Promise<string[]> {
    const known = this.#heldAsked.get(slot);
    if (known !== undefined) return new Promise((resolve) => {
      const done = known.done;
      known.done = () => {
        done();
        resolve(known.labels);
      };
    });
    return new Promise((resolve) => {
      const q = { left: this.threads, labels: [] as string[], done: () => {} };
      const timer = setTimeout(() => q.done(), timeoutMs);
      timer.unref();
      q.done = () => {
        clearTimeout(timer);
        this.#heldAsked.delete(slot);
        resolve(q.labels);
      };
      this.#heldAsked.set(slot, q);
      this.broadcast({ t: 'reportHeld', slot });
    });
  }

  // ---- what threads report ------------------------------------------------------------------------

  /** Hands a thread's report to the worker or pool it names; false when it names neither. */
  report(message: FromThread, thread: number): boolean {
    if (message.t === 'held') {
      const q = this.#heldAsked.get(message.slot);
      if (q !== undefined) {
        q.labels.push(...message.labels);
        if (--q.left === 0) q.done();
      }
      return true;
    }
    if ('slot' in message) {
      const e = this.#slots.get(message.slot);
      if (e === undefined) return true;
      e.onReport(message, thread);
      return true;
    }
    if ('pool' in message) {
      this.#pools.get(message.pool)?.onReport(message);
      return true;
    }
    return false;
  }
}
