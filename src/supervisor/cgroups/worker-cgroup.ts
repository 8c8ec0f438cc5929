/**
 * A worker's own cgroup inside its pool's: what the worker process (src/supervisor/worker-process.ts)
 * uses to freeze, thaw and end its whole tree, and to read the tree's figures.
 */
import { readFileSync } from 'node:fs';
import type { CgroupNode } from './cgroup-node.ts';
import type { OomFacts } from './oom-words.ts';

/** The same figures as a process's (proc-stats.ts), for the whole tree. */
export interface TreeStats {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly virtualBytes: number;
}

export class WorkerCgroup {
  readonly node: CgroupNode;
  readonly #pool: CgroupNode;
  #ended: Promise<number> | null = null;
  /** OOM kills already reported as a child's (childOomKills), so the worker's own exit does not claim them. */
  #oomSeen = 0;

  constructor(pool: CgroupNode, node: CgroupNode) {
    this.#pool = pool;
    this.node = node;
  }

  /** The files the worker's first process writes its pid to before the command runs (spawn-spec.ts). */
  get procsFiles(): readonly string[] {
    return this.node.procsFiles;
  }

  /**
   * The figures of the whole tree: CPU and resident memory from the cgroup, virtual memory summed
   * over its processes (the kernel keeps no such figure per cgroup); null once it is empty.
   */
  stats(): TreeStats | null {
    const memory = this.node.memory();
    const cpuSeconds = this.node.cpuSeconds();
    if (memory === null || cpuSeconds === null) return null;
    let virtualBytes = 0;
    for (const pid of this.node.pids()) virtualBytes += vmSize(pid);
    return { cpuSeconds, rssBytes: memory.residentBytes, virtualBytes };
  }

  /** Private (anonymous) memory of the whole tree. */
  privateBytes(): number | null {
    return this.node.memory()?.anonBytes ?? null;
  }

  cpuSeconds(): number | null {
    return this.node.cpuSeconds();
  }

  /** What the OOM killer did in this cgroup (read before the cgroup ends), less the kills already reported as a child's. */
  oomFacts(): OomFacts {
    return { kills: this.node.oomKills() - this.#oomSeen, limitBytes: this.#pool.memoryLimit(), peakBytes: this.node.memory()?.peakBytes ?? null };
  }

  /**
   * OOM kills since the last call, while the worker's own process still runs: the kernel ended one
   * of its children (on v1, or on v2 without memory.oom.group, it picks the largest process, not
   * the whole tree). Their facts, or null when there was none.
   */
  childOomKills(): OomFacts | null {
    const facts = this.oomFacts();
    if (facts.kills <= 0) return null;
    this.#oomSeen += facts.kills;
    return facts;
  }

  /** Freezes the whole tree (idleTimeoutAction Suspend); false when the freezer refused. */
  freeze(): boolean {
    try {
      this.node.freeze();
      return true;
    } catch {
      return false;
    }
  }

  thaw(): void {
    try {
      this.node.thaw();
    } catch {
      // gone with its processes
    }
  }

  /** Kills every process of the tree now (recycle past its limit, hang, stop); the cgroup stays until end(). */
  kill(): void {
    void this.node.kill();
  }

  /** The worker's main process exited: whatever it left (daemonised or not) is killed and the cgroup removed. */
  end(): Promise<number> {
    this.#ended ??= this.node.kill().then((n) => {
      this.node.remove();
      return n;
    });
    return this.#ended;
  }
}

function vmSize(pid: number): number {
  try {
    const m = /^VmSize:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}
