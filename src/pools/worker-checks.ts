/**
 * The pool core's pass over its ready workers at each tick: the idle timeout (suspend or
 * terminate: policy/idle-policy.ts) and the time and memory recycle triggers
 * (policy/recycle-policy.ts). It reads facts only (the tick's `now`, the memory
 * probe); what it decides goes to the core's effects and to its recycle queue.
 */
import type { PoolConfig } from '../config/types.ts';
import { idleVerdict } from './policy/idle-policy.ts';
import { periodicTrigger, type RecycleTrigger } from './policy/recycle-policy.ts';
import type { CoreWorker, PoolEffects } from './pool-core-effects.ts';

/** The memory figures a tick compares with the recycle limits (from /proc in the shell). */
export interface MemoryProbe<W> {
  virtualBytes(worker: W): number | null;
  privateBytes(worker: W): number | null;
}

/** What the pass reads of its pool, and where a recycle it decides goes. */
export interface WorkerChecksHost<W> {
  readonly config: PoolConfig;
  readonly workers: readonly W[];
  isRecycling(worker: W): boolean;
  recycleWorker(worker: W, trigger: RecycleTrigger, details: Record<string, unknown>): void;
}

/** Private bytes are read from smaps_rollup, which costs more: at most this often. */
const privateSampleMs = 5_000;

/** The per-worker decisions of a pool's tick. */
export class WorkerChecks<W extends CoreWorker> {
  readonly #host: WorkerChecksHost<W>;
  readonly #effects: Pick<PoolEffects<W>, 'suspendWorker' | 'shutDownIdle'>;
  #lastPrivateSample = 0;

  constructor(host: WorkerChecksHost<W>, effects: Pick<PoolEffects<W>, 'suspendWorker' | 'shutDownIdle'>) {
    this.#host = host;
    this.#effects = effects;
  }

  /** One pass at `now`: each ready worker is suspended, shut down idle, or queued for a recycle when due. */
  run(now: number, memory: MemoryProbe<W>): void {
    const host = this.#host;
    const pm = host.config.processModel;
    const pr = host.config.recycling.periodicRestart;
    const samplePrivate = pr.privateMemory > 0 && now - this.#lastPrivateSample >= privateSampleMs;
    if (samplePrivate) this.#lastPrivateSample = now;
    for (const w of [...host.workers]) {
      if (w.state !== 'ready') continue;
      const recycling = host.isRecycling(w);
      const idle = idleVerdict(pm, host.config.startMode, w, recycling, now);
      if (idle !== null) {
        if (idle === 'suspend') this.#effects.suspendWorker(w, now - w.lastActivityAt);
        else if (idle === 'terminate') this.#effects.shutDownIdle(w, now - w.lastActivityAt);
        continue;
      }
      if (recycling) continue;
      const due = periodicTrigger(pr, host.config.recycling.recycleJitter, {
        id: w.id,
        readyAt: w.readyAt,
        virtualBytes: pr.memory > 0 ? memory.virtualBytes(w) : null,
        privateBytes: samplePrivate ? memory.privateBytes(w) : null,
      }, now);
      if (due) host.recycleWorker(w, due.trigger, due.details);
    }
  }
}
