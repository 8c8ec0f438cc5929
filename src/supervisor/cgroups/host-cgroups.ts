/**
 * The host's cgroups: what it found (layout, its own cgroup), its subtree, the reaping of what a
 * killed predecessor left, and a cgroup per pool. The tree, below the host's own cgroup in each
 * hierarchy (never elsewhere, so every limit above the host still applies):
 *
 *     <host cgroup>/paddock/<owner>/<pool>/<worker>
 *
 * `<owner>` names the host run: `<dataDir hash>-<pid>-<start time>`. Several hosts may share a
 * parent cgroup (tests, or two services): a host reaps only owners whose process is gone (the pid
 * is not running, or runs with another start time), kills what is left in those of its own dataDir
 * (event 7102), and removes empty ones of others; a live host's subtree is never touched.
 *
 * On v2 a cgroup that holds processes cannot give its children controllers, so a host that sits
 * in its own cgroup (systemd `Delegate=yes`) moves itself into the leaf `<host cgroup>/paddock.host`
 * first. Where nothing of this can be done, the host says why (7101) and keeps process groups.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type { CgroupLayout, V1Controller } from './layout.ts';
import { describeLayout, detectLayout, v1Controllers } from './layout.ts';
import type { CgroupNode } from './cgroup-node.ts';
import { procsOf, readText, writeControl } from './cgroup-node.ts';
import { V1Node } from './v1-node.ts';
import { V2Node } from './v2-node.ts';

/** What the host found, for GET /api/isolation, `paddock status` and events 7100/7101. */
export interface IsolationReport {
  readonly enabled: boolean;
  readonly layout: 'v1' | 'v2' | 'none';
  /** The layout in words ("cgroup v1 (cpu, cpuacct, memory, freezer, pids)"). */
  readonly description: string;
  /** Why cgroups are not used; null when they are. */
  readonly reason: string | null;
  /** The host's own cgroup per hierarchy ("memory" → "/process_api/x"; "unified" on v2). */
  readonly hostCgroups: Readonly<Record<string, string>>;
  /** The folders of this host run's subtree (one per hierarchy). */
  readonly root: readonly string[];
  readonly owner: string | null;
}

/** Where a pool's kernel limits come from. */
export interface PoolLimits {
  readonly memoryBytes: number;
  readonly tasks: number;
}

/** Reads this process's start time (field 22 of /proc/PID/stat), or null when it is gone. */
export function startTimeOf(pid: number): string | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

/** The first part of an owner name: which dataDir the host run serves. */
function dataDirHash(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
}

/** The owner name of a host run. */
export function ownerName(dataDir: string, pid: number, startTime: string): string {
  return `${dataDirHash(dataDir)}-${pid}-${startTime}`;
}

/** Whether the owner named so is a host still running. */
export function ownerAlive(owner: string): boolean {
  const m = /^[0-9a-f]{8}-(\d+)-(\d+)$/.exec(owner);
  if (m === null) return true; // not a name Paddock makes: leave it alone
  return startTimeOf(Number(m[1])) === m[2];
}

/** Folder names for cgroups: pool and worker names, kept to safe characters. */
export function cgroupName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export interface HostCgroupOptions {
  readonly dataDir: string;
  /** The layout; by default read from /proc/self. */
  readonly layout?: CgroupLayout;
}

/** The host's cgroups, or the reason there are none. */
export class HostCgroups {
  readonly report: IsolationReport;
  readonly #owner: CgroupNode | null;
  readonly #paddock: CgroupNode | null;
  readonly #ownerName: string | null;
  readonly #dataHash: string;
  readonly #pools = new Map<string, CgroupNode>();
  readonly #limits = new Map<string, string>();

  private constructor(report: IsolationReport, paddock: CgroupNode | null, owner: CgroupNode | null, ownerName: string | null, dataHash: string) {
    this.report = report;
    this.#paddock = paddock;
    this.#owner = owner;
    this.#ownerName = ownerName;
    this.#dataHash = dataHash;
  }

  /** Detects the layout and makes this run's subtree; never throws (a failure is the report's reason). */
  static setUp(options: HostCgroupOptions): HostCgroups {
    const dataHash = dataDirHash(options.dataDir);
    const layout = options.layout ?? readLayout();
    const hostCgroups = hostPaths(layout);
    const none = (reason: string): HostCgroups =>
      new HostCgroups({ enabled: false, layout: layout.kind, description: describeLayout(layout), reason, hostCgroups, root: [], owner: null }, null, null, null, dataHash);
    if (layout.kind === 'none') return none(layout.reason);
    const owner = ownerName(options.dataDir, process.pid, startTimeOf(process.pid) ?? '0');
    try {
      const host = hostNode(layout);
      if (host instanceof V2Node) leaveForLeaf(host);
      const paddock = host.child('paddock');
      const mine = paddock.child(owner);
      const root = mine instanceof V1Node ? [...new Set(Object.values(mine.dirs))] : [(mine as V2Node).dir];
      return new HostCgroups({ enabled: true, layout: layout.kind, description: describeLayout(layout), reason: null, hostCgroups, root, owner }, paddock, mine, owner, dataHash);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
        ? `no permission to create cgroups below the host's own cgroup (${e.message}); run as root, or under systemd with Delegate=yes`
        : e.message;
      return none(why);
    }
  }

  get enabled(): boolean {
    return this.#owner !== null;
  }

  /**
   * Ends what killed predecessors left: every owner subtree whose host is gone. Those of this
   * dataDir are killed and removed (the count is for event 7102); empty ones of other hosts are
   * removed; a live host's subtree is never touched.
   */
  async reapLeftovers(): Promise<{ cgroups: number; processes: number; owners: string[] }> {
    const result = { cgroups: 0, processes: 0, owners: [] as string[] };
    if (this.#paddock === null) return result;
    for (const name of this.#paddock.children()) {
      if (name === this.#ownerName || ownerAlive(name)) continue;
      const node = this.#paddock.child(name);
      const ours = name.startsWith(`${this.#dataHash}-`);
      if (!ours && node.pids().length > 0) continue; // its own successor reaps it and reports it
      result.processes += await node.kill(3000);
      result.cgroups += countCgroups(node);
      result.owners.push(name);
      node.remove();
    }
    return result;
  }

  /** The cgroup of a pool (made on first use) with its limits applied (a refusal is told to `onLimitsRefused`, once per change); null without cgroups. */
  pool(name: string, limits: PoolLimits, onLimitsRefused: (err: Error) => void = () => {}): CgroupNode | null {
    if (this.#owner === null) return null;
    let node = this.#pools.get(name);
    if (node === undefined) {
      node = this.#owner.child(cgroupName(name));
      this.#pools.set(name, node);
    }
    const key = `${limits.memoryBytes}/${limits.tasks}`;
    if (this.#limits.get(name) !== key) {
      // Tried once per change: a limit the kernel refuses (below what the pool uses) is said once, not every tick.
      this.#limits.set(name, key);
      try {
        node.setLimits(limits);
      } catch (err) {
        onLimitsRefused(err as Error);
      }
    }
    return node;
  }

  /** A pool is gone (removed by a reload, or the host stops): its cgroup ends. */
  async removePool(name: string): Promise<void> {
    const node = this.#pools.get(name);
    if (node === undefined) return;
    this.#pools.delete(name);
    this.#limits.delete(name);
    await node.kill();
    node.remove();
  }

  /** The host stops: whatever is left in its subtree ends, and the subtree goes. */
  async close(): Promise<void> {
    if (this.#owner === null) return;
    for (const name of [...this.#pools.keys()]) await this.removePool(name);
    await this.#owner.kill();
    this.#owner.remove();
  }
}

function countCgroups(node: CgroupNode): number {
  return 1 + node.children().reduce((n, c) => n + countCgroups(node.child(c)), 0);
}

function readLayout(): CgroupLayout {
  return detectLayout({
    mountinfo: readText('/proc/self/mountinfo') ?? '',
    procSelfCgroup: readText('/proc/self/cgroup') ?? '',
    v2ControllersAt: (dir) => readText(`${dir}/cgroup.controllers`),
  });
}

function hostPaths(layout: CgroupLayout): Record<string, string> {
  if (layout.kind === 'v2') return { unified: layout.hostPath };
  if (layout.kind === 'v1') return Object.fromEntries(v1Controllers.map((c) => [c, layout.controllers[c].hostPath]));
  return {};
}

/** The host's own cgroup as a node. */
export function hostNode(layout: Exclude<CgroupLayout, { kind: 'none' }>): CgroupNode {
  if (layout.kind === 'v2') return new V2Node(layout.hostDir, layout.hostPath);
  const dirs = {} as Record<V1Controller, string>;
  for (const c of v1Controllers) dirs[c] = layout.controllers[c].hostDir;
  return new V1Node(dirs, layout.controllers.memory.hostPath);
}

/**
 * v2's "no internal processes" rule: the host's cgroup can enable controllers for its children
 * only once it holds no process, so the host moves itself into a leaf of its own (what systemd's
 * Delegate=yes documentation asks of a delegated service). The root cgroup is exempt.
 */
function leaveForLeaf(host: V2Node): void {
  if (host.path === '/' || procsOf(`${host.dir}/cgroup.procs`).length === 0) return;
  const leaf = `${host.dir}/paddock.host`;
  mkdirSync(leaf, { recursive: true });
  writeControl(`${leaf}/cgroup.procs`, String(process.pid));
  const left = procsOf(`${host.dir}/cgroup.procs`);
  if (left.length > 0) {
    throw new Error(`the host's cgroup ${host.path} holds other processes (${left.slice(0, 5).join(', ')}): give the host a cgroup of its own (systemd Delegate=yes)`);
  }
}
