/**
 * How a pool's recycles run (IIS recycling): one at a time, so a web garden of N never has fewer
 * than N-1 ready workers. Overlapping (default): the replacement starts, and the old worker drains
 * once the replacement is ready; a replacement that never becomes ready leaves the old worker
 * serving (5093). With disallowOverlappingRotation the old worker drains first and the replacement
 * starts after it has exited.
 */
import type { PoolConfig, RecycleEventName } from '../config/types.ts';
import type { PoolState } from '../admin/host-control.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import { isLive } from '../supervisor/worker-state.ts';
import { recycleEventId, type RecycleTrigger } from './policy/recycle-policy.ts';
import { EventIds } from '../events/event-ids.ts';

/** What the recycler needs from its pool. */
export interface RecycleHost {
  readonly name: string;
  readonly config: PoolConfig;
  readonly state: PoolState;
  readonly workers: readonly WorkerProcess[];
  /** Starts a worker, as the replacement of `replacementFor` when given (overlapping). */
  start(replacementFor: WorkerProcess | null): WorkerProcess | null;
  /** Workers that count toward maxProcesses now. */
  active(): WorkerProcess[];
  event(id: number, message: string, extra: { worker?: WorkerProcess; details?: Record<string, unknown>; level?: 'warning' }): void;
}

interface Pending {
  readonly worker: WorkerProcess;
  readonly trigger: RecycleTrigger;
}

/** The recycle queue of one pool. */
export class Recycler {
  readonly #host: RecycleHost;
  #queue: Pending[] = [];
  #running = false;
  /** The replacement the running recycle waits for. */
  #replacement: WorkerProcess | null = null;

  constructor(host: RecycleHost) {
    this.#host = host;
  }

  /** Recycles every live worker (admin, schedule, config change). */
  recycleAll(trigger: RecycleTrigger, details: Record<string, unknown>): void {
    const targets = this.#host.workers.filter((w) => (w.state === 'ready' || w.state === 'starting' || w.state === 'suspended') && !w.recycling);
    if (targets.length === 0) {
      this.#log(null, trigger, details);
      return;
    }
    for (const w of targets) this.recycle(w, trigger, details);
  }

  /** Queues one worker; its recycle runs when no other one does. */
  recycle(worker: WorkerProcess, trigger: RecycleTrigger, details: Record<string, unknown>, options: { event?: boolean } = {}): void {
    if (worker.recycling || !isLive(worker.state) || worker.state === 'draining') return;
    worker.recycling = true;
    if (options.event !== false) this.#log(worker, trigger, details);
    this.#queue.push({ worker, trigger });
    this.#next();
  }

  /** A worker became ready or exited: if it was the awaited replacement, the next recycle may run. */
  settled(worker: WorkerProcess): void {
    if (!this.#running || worker !== this.#replacement) return;
    this.#replacement = null;
    this.#running = false;
    this.#next();
  }

  /** The replacement of `old` exited before it was ready: the old worker keeps serving (IIS 5093). */
  replacementFailed(old: WorkerProcess, replacement: WorkerProcess, facts: { code: number | null; signal: string | null }): void {
    old.recycling = false;
    old.replaced = false;
    this.#host.event(EventIds.OverlappedRecycleFailed, `The replacement for worker ${old.id} did not become ready; the old worker keeps serving.`, {
      worker: old,
      details: { replacement: replacement.id, exitCode: facts.code, signal: facts.signal },
    });
    this.settled(replacement);
  }

  /** Forgets queued recycles (the pool stopped). */
  clear(): void {
    this.#queue = [];
  }

  #log(worker: WorkerProcess | null, trigger: RecycleTrigger, details: Record<string, unknown>): void {
    const name: RecycleEventName = trigger;
    if (!this.#host.config.recycling.logEventOnRecycle.includes(name) && trigger !== 'OnDemand') return;
    const who = worker ? `worker ${worker.id} (pid ${worker.pid})` : 'the pool';
    const reason = typeof details.reason === 'string' ? `: ${details.reason}` : '';
    this.#host.event(recycleEventId(trigger), `Recycling ${who} of pool '${this.#host.name}' (${trigger}${reason}).`, {
      worker: worker ?? undefined,
      level: 'warning',
      details: { trigger, ...details },
    });
  }

  #next(): void {
    if (this.#running || this.#host.state !== 'started') return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    const old = next.worker;
    if (!isLive(old.state) || old.state === 'draining') return this.#next();
    this.#running = true;
    old.replaced = true;
    if (old.state === 'starting' || this.#host.config.recycling.disallowOverlappingRotation) {
      // Not overlapping: drain the old worker first; requests queue meanwhile.
      void old.drain(`recycled (${next.trigger})`).then(() => {
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
      });
      return;
    }
    const fresh = this.#host.start(old);
    this.#replacement = fresh;
    if (fresh === null) {
      this.#running = false;
      old.recycling = false;
      old.replaced = false;
    }
  }
}
