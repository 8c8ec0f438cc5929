/**
 * How a pool's recycles run (IIS recycling): one at a time, so a web garden of N never has fewer
 * than N-1 ready workers. Overlapping (default): the replacement starts, and the old worker drains
 * once the replacement is ready; a replacement that never becomes ready leaves the old worker
 * serving (5093). With disallowOverlappingRotation the old worker drains first and the replacement
 * starts after it has exited.
 *
 * Pure: it holds the queue and the marks (which worker is queued for a recycle, which one is being
 * replaced) and says what to do through `RecycleHost`; the pool carries it out on processes.
 */
import type { PoolConfig } from '../config/types.ts';
import type { PoolState } from './pool-state.ts';
import { isLive, type WorkerState } from '../supervisor/worker-state.ts';
import type { RecycleTrigger } from './policy/recycle-policy.ts';

/** What the recycler reads of a worker. */
export interface RecycleFacts {
  readonly state: WorkerState;
}

/** What the recycler needs from its pool: facts to read and the few things it asks for. */
export interface RecycleHost<W extends RecycleFacts> {
  readonly config: PoolConfig;
  readonly state: PoolState;
  readonly workers: readonly W[];
  /** Workers that count toward maxProcesses now. */
  active(): W[];
  /** Starts a worker, as the replacement of `replacementFor` when given (overlapping); null when none could start. */
  start(replacementFor: W | null): W | null;
  /** Drains `worker` and stops it; the recycler hears of its exit through `exited`. */
  drain(worker: W, reason: string): void;
  /** Writes the recycle event of `worker` (null: the pool had no worker to recycle). */
  logRecycle(worker: W | null, trigger: RecycleTrigger, details: Record<string, unknown>): void;
  /** Writes 5093: the replacement of `old` exited before it was ready; `old` keeps serving. */
  logReplacementFailed(old: W, replacement: W): void;
}

interface Pending<W> {
  readonly worker: W;
  readonly trigger: RecycleTrigger;
}

/** The recycle queue of one pool. */
export class Recycler<W extends RecycleFacts> {
  readonly #host: RecycleHost<W>;
  #queue: Pending<W>[] = [];
  #running = false;
  /** The replacement the running recycle waits for. */
  #replacement: W | null = null;
  /** A non-overlapping recycle waits for this worker's exit before it starts the replacement. */
  #awaitingExit: W | null = null;
  /** Queued for a recycle from this moment, so one trigger does not queue two. */
  readonly #recycling = new WeakSet<W>();
  /** Being replaced: a replacement is on its way, this one no longer counts toward maxProcesses. */
  readonly #replaced = new WeakSet<W>();

  constructor(host: RecycleHost<W>) {
    this.#host = host;
  }

  /** Whether `worker` is queued for, or in, a recycle. */
  isRecycling(worker: W): boolean {
    return this.#recycling.has(worker);
  }

  /** Whether a replacement for `worker` is on its way (a recycle began, or it hung). */
  isReplaced(worker: W): boolean {
    return this.#replaced.has(worker);
  }

  /** A hung worker is replaced outside the queue: it stops counting toward maxProcesses now. */
  markReplaced(worker: W): void {
    this.#replaced.add(worker);
  }

  /** Recycles every live worker (admin, schedule, config change). */
  recycleAll(trigger: RecycleTrigger, details: Record<string, unknown>): void {
    const targets = this.#host.workers.filter((w) => (w.state === 'ready' || w.state === 'starting' || w.state === 'suspended') && !this.#recycling.has(w));
    if (targets.length === 0) {
      this.#log(null, trigger, details);
      return;
    }
    for (const w of targets) this.recycle(w, trigger, details);
  }

  /** Queues one worker; its recycle runs when no other one does. */
  recycle(worker: W, trigger: RecycleTrigger, details: Record<string, unknown>, options: { event?: boolean } = {}): void {
    if (this.#recycling.has(worker) || !isLive(worker.state) || worker.state === 'draining') return;
    this.#recycling.add(worker);
    if (options.event !== false) this.#log(worker, trigger, details);
    this.#queue.push({ worker, trigger });
    this.#next();
  }

  /** A worker became ready or exited: if it was the awaited replacement, the next recycle may run. */
  settled(worker: W): void {
    if (!this.#running || worker !== this.#replacement) return;
    this.#replacement = null;
    this.#running = false;
    this.#next();
  }

  /** The replacement of `old` exited before it was ready: the old worker keeps serving (IIS 5093). */
  replacementFailed(old: W, replacement: W): void {
    this.#recycling.delete(old);
    this.#replaced.delete(old);
    this.#host.logReplacementFailed(old, replacement);
    this.settled(replacement);
  }

  /** A worker exited: a non-overlapping recycle that drained it starts its replacement now. */
  exited(worker: W): void {
    if (worker !== this.#awaitingExit) return;
    this.#awaitingExit = null;
    // The next recycle waits for this replacement to be ready.
    const active = this.#host.active();
    const starting = active.find((w) => w.state === 'starting') ?? null;
    const room = active.length < this.#host.config.processModel.maxProcesses;
    const fresh = this.#host.state !== 'started' ? null : starting ?? (room ? this.#host.start(null) : null);
    this.#replacement = fresh;
    if (fresh === null) {
      this.#running = false;
      this.#next();
    }
  }

  /** Forgets queued recycles (the pool stopped). */
  clear(): void {
    this.#queue = [];
  }

  #log(worker: W | null, trigger: RecycleTrigger, details: Record<string, unknown>): void {
    if (!this.#host.config.recycling.logEventOnRecycle.includes(trigger) && trigger !== 'OnDemand') return;
    this.#host.logRecycle(worker, trigger, details);
  }

  #next(): void {
    if (this.#running || this.#host.state !== 'started') return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    const old = next.worker;
    if (!isLive(old.state) || old.state === 'draining') return this.#next();
    this.#running = true;
    this.#replaced.add(old);
    if (old.state === 'starting' || this.#host.config.recycling.disallowOverlappingRotation) {
      // Not overlapping: drain the old worker first; requests queue meanwhile.
      this.#awaitingExit = old;
      this.#host.drain(old, `recycled (${next.trigger})`);
      return;
    }
    const fresh = this.#host.start(old);
    this.#replacement = fresh;
    if (fresh === null) {
      this.#running = false;
      this.#recycling.delete(old);
      this.#replaced.delete(old);
    }
  }
}
