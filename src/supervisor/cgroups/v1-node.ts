/**
 * A cgroup of the v1 hierarchies (Documentation/admin-guide/cgroup-v1/): the same relative path
 * in each controller's own hierarchy (cpu, cpuacct, memory, freezer, pids; one folder where two
 * are mounted together). A process joins by writing its pid to each hierarchy's cgroup.procs.
 *
 * v1 has no cgroup.kill: a kill freezes the cgroup (freezer.state FROZEN), so nothing forks
 * between reading the pids and the SIGKILL, kills every pid, and thaws it, as runc does.
 */
import { mkdirSync } from 'node:fs';
import { childDirs, keyed, killAll, readNumber, readText, removeTree, sleep, treePids, writeControl, type CgroupMemory, type CgroupNode } from './cgroup-node.ts';
import type { V1Controller } from './layout.ts';

const periodUs = 100_000;
/** memory.limit_in_bytes reads this (or near it, page-rounded) when there is no limit. */
const unlimited = 2 ** 62;

export class V1Node implements CgroupNode {
  readonly path: string;
  /** The folder of this cgroup in each controller's hierarchy. */
  readonly dirs: Readonly<Record<V1Controller, string>>;

  constructor(dirs: Readonly<Record<V1Controller, string>>, path: string) {
    this.dirs = dirs;
    this.path = path;
  }

  #unique(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  get procsFiles(): readonly string[] {
    return this.#unique().map((d) => `${d}/cgroup.procs`);
  }

  child(name: string): V1Node {
    const dirs = {} as Record<V1Controller, string>;
    for (const [c, d] of Object.entries(this.dirs) as Array<[V1Controller, string]>) dirs[c] = `${d}/${name}`;
    for (const d of new Set(Object.values(dirs))) mkdirSync(d, { recursive: true });
    return new V1Node(dirs, `${this.path.replace(/\/$/, '')}/${name}`);
  }

  /** Child cgroups in any hierarchy: the host's cgroup may differ per hierarchy between two runs (memory here, the root there). */
  children(): string[] {
    return [...new Set(this.#unique().flatMap((d) => childDirs(d)))];
  }

  setLimits(limits: { readonly memoryBytes: number; readonly tasks: number }): void {
    const m = this.dirs.memory;
    const value = limits.memoryBytes > 0 ? String(limits.memoryBytes) : '-1';
    // With swap accounting, the hard limit covers swap too, so the OOM killer acts at it. The
    // kernel wants memsw >= memory at every moment: lowering writes memory first, raising memsw first.
    const memsw = readText(`${m}/memory.memsw.limit_in_bytes`) !== null;
    const order = [`${m}/memory.limit_in_bytes`, ...(memsw ? [`${m}/memory.memsw.limit_in_bytes`] : [])];
    try {
      for (const f of order) writeControl(f, value);
    } catch {
      for (const f of order.reverse()) writeControl(f, value);
    }
    writeControl(`${this.dirs.pids}/pids.max`, limits.tasks > 0 ? String(limits.tasks) : 'max');
  }

  oomKillsAll(): void {
    // v1 has no memory.oom.group: the host ends the rest of the tree when the worker's process exits.
  }

  setCpuQuota(cpus: number | null): void {
    writeControl(`${this.dirs.cpu}/cpu.cfs_period_us`, String(periodUs));
    writeControl(`${this.dirs.cpu}/cpu.cfs_quota_us`, cpus === null ? '-1' : String(Math.max(1000, Math.round(cpus * periodUs))));
  }

  throttledCount(): number {
    return keyed(readText(`${this.dirs.cpu}/cpu.stat`), 'nr_throttled');
  }

  pids(): number[] {
    return [...new Set(this.#unique().flatMap((d) => treePids(d)))];
  }

  cpuSeconds(): number | null {
    const ns = readNumber(`${this.dirs.cpuacct}/cpuacct.usage`);
    return ns === null ? null : ns / 1e9;
  }

  memory(): CgroupMemory | null {
    const m = this.dirs.memory;
    const current = readNumber(`${m}/memory.usage_in_bytes`);
    if (current === null) return null;
    const stat = readText(`${m}/memory.stat`);
    // total_* count the whole subtree (memory.use_hierarchy is always on in current kernels).
    const anon = keyed(stat, 'total_rss');
    return { currentBytes: current, anonBytes: anon, residentBytes: anon + keyed(stat, 'total_mapped_file'), peakBytes: readNumber(`${m}/memory.max_usage_in_bytes`) };
  }

  memoryLimit(): number | null {
    const n = readNumber(`${this.dirs.memory}/memory.limit_in_bytes`);
    return n === null || n >= unlimited ? null : n;
  }

  oomKills(): number {
    return keyed(readText(`${this.dirs.memory}/memory.oom_control`), 'oom_kill');
  }

  freeze(): void {
    writeControl(`${this.dirs.freezer}/freezer.state`, 'FROZEN');
  }

  thaw(): void {
    writeControl(`${this.dirs.freezer}/freezer.state`, 'THAWED');
  }

  /** Whether the freezer reports the whole cgroup frozen (FREEZING becomes FROZEN when every task is). */
  frozen(): boolean {
    return (readText(`${this.dirs.freezer}/freezer.state`) ?? '').trim() === 'FROZEN';
  }

  async kill(limitMs = 2000): Promise<number> {
    let killed = 0;
    const deadline = Date.now() + limitMs;
    for (;;) {
      const pids = this.pids();
      if (pids.length === 0 || Date.now() >= deadline) return killed;
      try {
        this.freeze();
        // FREEZING until every task has stopped; a short wait, bounded by the kill's own limit.
        for (let i = 0; i < 20 && !this.frozen(); i++) await sleep(5);
      } catch {
        // no freezer folder: kill unfrozen, the loop catches a late fork
      }
      const n = killAll(this.pids());
      if (killed === 0) killed = n;
      try {
        this.thaw(); // a frozen task dies only once it runs again
      } catch {
        // gone
      }
      await sleep(10);
    }
  }

  remove(): void {
    for (const d of this.#unique()) removeTree(d);
  }
}
