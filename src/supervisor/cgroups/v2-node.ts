/**
 * A cgroup of the unified hierarchy (cgroup v2, Documentation/admin-guide/cgroup-v2.rst): one
 * folder; limits in memory.max, pids.max and cpu.max; figures in cpu.stat, memory.current,
 * memory.stat, memory.peak and memory.events; cgroup.freeze and cgroup.kill.
 *
 * A child's controllers are enabled in the parent's cgroup.subtree_control before the child is
 * made (the "no internal processes" rule: the parent then holds no process of its own).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { childDirs, keyed, killAll, readNumber, readText, removeTree, sleep, treePids, writeControl, type CgroupMemory, type CgroupNode } from './cgroup-node.ts';
import { v2Controllers } from './layout.ts';

const periodUs = 100_000;

export class V2Node implements CgroupNode {
  readonly path: string;
  readonly dir: string;

  /** `dir` is the folder on disk, `path` the same cgroup as /proc/PID/cgroup names it. */
  constructor(dir: string, path: string) {
    this.dir = dir;
    this.path = path;
  }

  get procsFiles(): readonly string[] {
    return [`${this.dir}/cgroup.procs`];
  }

  /** Enables cpu, memory and pids for this cgroup's children (those the parent offers). */
  enableControllers(): void {
    const offered = (readText(`${this.dir}/cgroup.controllers`) ?? v2Controllers.join(' ')).trim().split(/\s+/);
    const enabled = (readText(`${this.dir}/cgroup.subtree_control`) ?? '').trim().split(/\s+/);
    const wanted = v2Controllers.filter((c) => offered.includes(c) && !enabled.includes(c));
    if (wanted.length > 0) writeControl(`${this.dir}/cgroup.subtree_control`, wanted.map((c) => `+${c}`).join(' '));
  }

  child(name: string): V2Node {
    this.enableControllers();
    const dir = `${this.dir}/${name}`;
    mkdirSync(dir, { recursive: true });
    return new V2Node(dir, `${this.path.replace(/\/$/, '')}/${name}`);
  }

  children(): string[] {
    return childDirs(this.dir);
  }

  setLimits(limits: { readonly memoryBytes: number; readonly tasks: number }): void {
    writeControl(`${this.dir}/memory.max`, limits.memoryBytes > 0 ? String(limits.memoryBytes) : 'max');
    // The hard limit is the limit: no swap beyond it, so the OOM killer acts at it.
    if (existsSync(`${this.dir}/memory.swap.max`)) writeControl(`${this.dir}/memory.swap.max`, limits.memoryBytes > 0 ? '0' : 'max');
    writeControl(`${this.dir}/pids.max`, limits.tasks > 0 ? String(limits.tasks) : 'max');
  }

  oomKillsAll(): void {
    if (existsSync(`${this.dir}/memory.oom.group`)) writeControl(`${this.dir}/memory.oom.group`, '1');
  }

  setCpuQuota(cpus: number | null): void {
    const quota = cpus === null ? 'max' : String(Math.max(1000, Math.round(cpus * periodUs)));
    writeControl(`${this.dir}/cpu.max`, `${quota} ${periodUs}`);
  }

  throttledCount(): number {
    return keyed(readText(`${this.dir}/cpu.stat`), 'nr_throttled');
  }

  pids(): number[] {
    return treePids(this.dir);
  }

  cpuSeconds(): number | null {
    const stat = readText(`${this.dir}/cpu.stat`);
    return stat === null ? null : keyed(stat, 'usage_usec') / 1e6;
  }

  memory(): CgroupMemory | null {
    const current = readNumber(`${this.dir}/memory.current`);
    if (current === null) return null;
    const stat = readText(`${this.dir}/memory.stat`);
    const anon = keyed(stat, 'anon');
    return { currentBytes: current, anonBytes: anon, residentBytes: anon + keyed(stat, 'file_mapped'), peakBytes: readNumber(`${this.dir}/memory.peak`) };
  }

  memoryLimit(): number | null {
    return readNumber(`${this.dir}/memory.max`);
  }

  oomKills(): number {
    return keyed(readText(`${this.dir}/memory.events`), 'oom_kill');
  }

  freeze(): void {
    writeControl(`${this.dir}/cgroup.freeze`, '1');
  }

  thaw(): void {
    writeControl(`${this.dir}/cgroup.freeze`, '0');
  }

  async kill(limitMs = 2000): Promise<number> {
    const before = this.pids().length;
    if (before === 0) return 0;
    // cgroup.kill (Linux 5.14) kills the whole tree at once, forks in flight included.
    const viaKillFile = existsSync(`${this.dir}/cgroup.kill`);
    const deadline = Date.now() + limitMs;
    for (;;) {
      if (viaKillFile) {
        try {
          writeControl(`${this.dir}/cgroup.kill`, '1');
        } catch {
          killAll(this.pids());
        }
      } else {
        // Frozen, nothing forks between the read of cgroup.procs and the kill.
        try {
          this.freeze();
        } catch {
          // killed unfrozen: the loop catches a late fork
        }
        killAll(this.pids());
        try {
          this.thaw();
        } catch {
          // gone
        }
      }
      await sleep(10);
      if (this.pids().length === 0 || Date.now() >= deadline) return before;
    }
  }

  remove(): void {
    removeTree(this.dir);
  }
}
