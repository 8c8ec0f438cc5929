/**
 * A pool's cgroups as its shell uses them: the pool's own (made on first use, its kernel limits
 * following the configuration), a cgroup per worker inside it, and the CPU quota Throttle sets.
 * Each failure is a warning event and never stops the pool: its workers run in their process
 * groups instead, as they do on a host without cgroups (docs/isolation.md).
 */
import type { PoolConfig } from '../config/types.ts';
import { cgroupName, type HostCgroups } from '../supervisor/cgroups/host-cgroups.ts';
import type { CgroupNode } from '../supervisor/cgroups/cgroup-node.ts';
import { WorkerCgroup } from '../supervisor/cgroups/worker-cgroup.ts';

export class PoolCgroup {
  readonly #cgroups: HostCgroups | null;
  readonly #config: () => PoolConfig;
  readonly #warn: (message: string, error: Error) => void;

  /** `warn` writes the warning event (the pool's InternalError, at level warning). */
  constructor(cgroups: HostCgroups | null, config: () => PoolConfig, warn: (message: string, error: Error) => void) {
    this.#cgroups = cgroups;
    this.#config = config;
    this.#warn = warn;
  }

  /** The pool's cgroup with its limits applied (made on first use), or null without cgroups. */
  node(): CgroupNode | null {
    if (!this.#cgroups?.enabled) return null;
    const { name, limits: l } = this.#config();
    try {
      return this.#cgroups.pool(name, { memoryBytes: l.memory, tasks: l.tasks }, (err) => {
        this.#warn(`The kernel refused the limits of pool '${name}' (limits.memory ${l.memory}, limits.tasks ${l.tasks}): ${err.message}. The previous limits stay.`, err);
      });
    } catch (err) {
      this.#warn(`The cgroup of pool '${name}' cannot be set up: ${(err as Error).message}. Its workers run without one.`, err as Error);
      return null;
    }
  }

  /** Sets (or, with null, lifts) the kernel's CPU quota of the pool; false without a cgroup. */
  setCpuQuota(cpus: number | null): boolean {
    const node = this.node();
    if (node === null) return false;
    try {
      node.setCpuQuota(cpus);
      return true;
    } catch (err) {
      this.#warn(`The CPU quota of pool '${this.#config().name}' cannot be set: ${(err as Error).message}.`, err as Error);
      return false;
    }
  }

  /** How often the kernel held the pool back at its quota. */
  throttledCount(): number {
    return this.node()?.throttledCount() ?? 0;
  }

  /** The worker's own cgroup inside the pool's; null without cgroups (the worker runs in its process group only). */
  worker(id: string): WorkerCgroup | null {
    const pool = this.node();
    if (pool === null) return null;
    try {
      const node = pool.child(cgroupName(id));
      node.oomKillsAll(); // a worker is its whole cgroup, for the OOM killer too
      return new WorkerCgroup(pool, node);
    } catch (err) {
      this.#warn(`The cgroup of worker ${id} cannot be made: ${(err as Error).message}. It runs without one.`, err as Error);
      return null;
    }
  }
}
