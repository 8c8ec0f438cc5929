/**
 * One cgroup (a pool's, or a worker's) as the host uses it, the same for v1 and v2: create a
 * child, set the kernel's limits, read the figures of the whole tree, freeze, thaw, kill every
 * process in it, remove it. v1-node.ts and v2-node.ts implement it over the files of each layout.
 */
import { readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

/** The figures of a cgroup's whole tree, read from the kernel's accounting. */
export interface CgroupMemory {
  /** Memory charged to the cgroup (memory.current / memory.usage_in_bytes). */
  readonly currentBytes: number;
  /** Anonymous memory (private, not backed by a file): what `privateMemory` compares. */
  readonly anonBytes: number;
  /** Resident memory: anonymous plus mapped file pages. */
  readonly residentBytes: number;
  /** The most it was charged (memory.peak / memory.max_usage_in_bytes); null where the kernel has none. */
  readonly peakBytes: number | null;
}

/** A cgroup the host made. Every method but kill() is synchronous and never throws on a vanished cgroup. */
export interface CgroupNode {
  /** Its path below the hierarchy's root, e.g. "/process_api/x/paddock/abc/web/web-1". */
  readonly path: string;
  /** The cgroup.procs files a process writes its pid to in order to join (one per v1 hierarchy). */
  readonly procsFiles: readonly string[];
  /** Creates (or reuses) a child cgroup. Throws with the file that failed. */
  child(name: string): CgroupNode;
  /** The names of its child cgroups. */
  children(): string[];
  /** Hard limits enforced by the kernel; 0 = none. */
  setLimits(limits: { readonly memoryBytes: number; readonly tasks: number }): void;
  /** The OOM killer ends the whole cgroup at once, not one process of it (v2 memory.oom.group; v1 has none). */
  oomKillsAll(): void;
  /** CPU quota in CPUs (0.25 = a quarter of one CPU), or null for none. */
  setCpuQuota(cpus: number | null): void;
  /** Times the kernel held the cgroup back by its CPU quota so far. */
  throttledCount(): number;
  /** Every process in the cgroup and below. */
  pids(): number[];
  /** CPU seconds used by the whole tree; null when unreadable. */
  cpuSeconds(): number | null;
  memory(): CgroupMemory | null;
  /** The memory limit in bytes, or null for none. */
  memoryLimit(): number | null;
  /** Processes the kernel's OOM killer ended in this cgroup. */
  oomKills(): number;
  freeze(): void;
  thaw(): void;
  /** Kills every process in the cgroup and below; resolves with how many were killed once it is empty (or after `limitMs`). */
  kill(limitMs?: number): Promise<number>;
  /** Removes the cgroup and its children (empty ones); never throws. */
  remove(): void;
}

/** The text of a file, or null. */
export function readText(file: string): string | null {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return null;
  }
}

/** A number in a file ("max" and unreadable are null). */
export function readNumber(file: string): number | null {
  const t = readText(file);
  if (t === null) return null;
  const n = Number(t.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}

/** A value of a keyed file ("anon 1234\nfile 0"); 0 when absent. */
export function keyed(text: string | null, key: string): number {
  if (text === null) return 0;
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** Writes a cgroup control file in one write, as cgroupfs wants; throws with the file named. */
export function writeControl(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw Object.assign(new Error(`cannot write '${value}' to ${file}: ${e.code ?? e.message}`), { code: e.code });
  }
}

/** The pids listed in a cgroup.procs file. */
export function procsOf(file: string): number[] {
  const t = readText(file);
  if (t === null) return [];
  return t.split('\n').filter((l) => l !== '').map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** Every pid in `dir` and its child folders. */
export function treePids(dir: string): number[] {
  const out = procsOf(`${dir}/cgroup.procs`);
  for (const c of childDirs(dir)) out.push(...treePids(`${dir}/${c}`));
  return out;
}

/** The child cgroup folders of `dir`. */
export function childDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Removes `dir` and every folder below it, deepest first (a cgroup folder goes only when empty). */
export function removeTree(dir: string): void {
  for (const c of childDirs(dir)) removeTree(`${dir}/${c}`);
  try {
    rmdirSync(dir);
  } catch {
    // still populated, or gone already
  }
}

/** SIGKILL to each pid; returns how many were signalled. */
export function killAll(pids: readonly number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // gone already
    }
  }
  return n;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
