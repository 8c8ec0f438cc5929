/**
 * A pool's look for OOM kills inside its workers' trees that left the worker itself running (the
 * kernel ended one of its children at limits.memory): each is said (7103), and the worker's own
 * exit later does not claim it. Only while limits.memory is set, at most once a second.
 */
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import { isRunning } from '../supervisor/proc-stats.ts';
import { childOomEvent, type WorkerEvent } from './worker-events.ts';

/** How often a pool with limits.memory looks for OOM kills inside its workers' trees. */
const oomCheckMs = 1000;

export class ChildOomWatch {
  readonly #write: (worker: WorkerProcess, e: WorkerEvent) => void;
  #lastOomCheck = 0;

  /** `write` writes a worker event. */
  constructor(write: (worker: WorkerProcess, e: WorkerEvent) => void) {
    this.#write = write;
  }

  /** The pool's tick: with `memoryLimit` set and a second gone by, each worker's cgroup is read. */
  tick(now: number, memoryLimit: number, workers: readonly WorkerProcess[]): void {
    if (memoryLimit > 0 && now - this.#lastOomCheck >= oomCheckMs) {
      this.#lastOomCheck = now;
      this.#childOoms(workers);
    }
  }

  /** An OOM kill inside a worker's tree that left the worker itself running is said too (7103). */
  #childOoms(workers: readonly WorkerProcess[]): void {
    for (const w of workers) {
      const cgroup = w.cgroup;
      if (cgroup === null || w.pid === null || w.exitFacts !== null || !isRunning(w.pid)) continue;
      const facts = cgroup.childOomKills();
      if (facts !== null) this.#write(w, childOomEvent(w, facts));
    }
  }
}
