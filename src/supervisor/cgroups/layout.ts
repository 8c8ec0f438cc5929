/**
 * Which cgroup hierarchy this host has, and where the host itself sits in it, from the texts of
 * /proc/self/mountinfo and /proc/self/cgroup (pure: tests give sample texts).
 *
 * As runc decides (libcontainer/cgroups `IsCgroup2UnifiedMode`): a cgroup2 mount that offers the
 * controllers a worker needs (cpu, memory, pids) is the unified layout (v2). Otherwise the v1
 * controllers are used where each is mounted (`/sys/fs/cgroup/<controller>`), which is also the
 * hybrid layout: v1 controllers beside a cgroup2 mount at `/sys/fs/cgroup/unified` that holds none.
 * The host's own cgroup is read per hierarchy from /proc/self/cgroup (`4:memory:/process_api/x`,
 * `0::/system.slice/paddock.service`); Paddock creates cgroups only below it.
 */

/** The v1 controllers a worker's cgroup uses; `cpuacct` gives CPU time, `freezer` Suspend and kill. */
export const v1Controllers = ['cpu', 'cpuacct', 'memory', 'freezer', 'pids'] as const;
export type V1Controller = (typeof v1Controllers)[number];

/** The controllers a v2 cgroup needs enabled for its children. */
export const v2Controllers = ['cpu', 'memory', 'pids'] as const;

/** One v1 controller: where its hierarchy is mounted and the host's own folder in it. */
export interface V1Hierarchy {
  readonly mount: string;
  /** The host's cgroup folder in this hierarchy (absolute path on disk). */
  readonly hostDir: string;
  /** The host's cgroup as /proc/self/cgroup names it ("/process_api/abc"). */
  readonly hostPath: string;
}

export type CgroupLayout =
  | { readonly kind: 'v2'; readonly mount: string; readonly hostDir: string; readonly hostPath: string }
  | { readonly kind: 'v1'; readonly controllers: Readonly<Record<V1Controller, V1Hierarchy>> }
  | { readonly kind: 'none'; readonly reason: string };

interface Mount {
  readonly root: string;
  readonly point: string;
  readonly fstype: string;
  readonly superOptions: readonly string[];
}

/** Parses /proc/self/mountinfo (proc(5)): the fields before " - " then fstype, source, super options. */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash === -1) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (left.length < 5 || right.length < 3) continue;
    mounts.push({ root: unescape(left[3]), point: unescape(left[4]), fstype: right[0], superOptions: right[2].split(',') });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/self/cgroup: `id:controllers:path`; the v2 line has id 0 and no controllers. */
export function parseProcCgroup(text: string): { v2: string | null; v1: Map<string, string> } {
  let v2: string | null = null;
  const v1 = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (m === null) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3];
    else for (const c of m[2].split(',')) if (c !== '') v1.set(c, m[3]);
  }
  return { v2, v1 };
}

/** The folder of cgroup `path` in a hierarchy mounted at `mount` whose root is `root` (a container's view). */
function dirOf(mount: Mount, path: string): string {
  let rel = path;
  if (mount.root !== '/' && (path === mount.root || path.startsWith(mount.root + '/'))) rel = path.slice(mount.root.length);
  rel = rel.replace(/^\/+/, '');
  return rel === '' ? mount.point : `${mount.point.replace(/\/$/, '')}/${rel}`;
}

export interface LayoutInputs {
  readonly mountinfo: string;
  readonly procSelfCgroup: string;
  /** Reads `cgroup.controllers` of a cgroup2 folder (null when unreadable). */
  readonly v2ControllersAt: (dir: string) => string | null;
}

/** Decides the layout; never throws (a host without cgroups gets `none` and the reason). */
export function detectLayout(inputs: LayoutInputs): CgroupLayout {
  const mounts = parseMountinfo(inputs.mountinfo);
  const own = parseProcCgroup(inputs.procSelfCgroup);
  const unified = mounts.find((m) => m.fstype === 'cgroup2');
  if (unified !== undefined && own.v2 !== null) {
    const hostDir = dirOf(unified, own.v2);
    const offered = (inputs.v2ControllersAt(hostDir) ?? '').trim().split(/\s+/);
    if (v2Controllers.every((c) => offered.includes(c))) return { kind: 'v2', mount: unified.point, hostDir, hostPath: own.v2 };
  }
  const controllers: Partial<Record<V1Controller, V1Hierarchy>> = {};
  const missing: string[] = [];
  for (const c of v1Controllers) {
    const mount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(c));
    const path = own.v1.get(c);
    if (mount === undefined || path === undefined) {
      missing.push(c);
      continue;
    }
    controllers[c] = { mount: mount.point, hostDir: dirOf(mount, path), hostPath: path };
  }
  if (missing.length === 0) return { kind: 'v1', controllers: controllers as Record<V1Controller, V1Hierarchy> };
  if (unified !== undefined) {
    return { kind: 'none', reason: `the cgroup2 hierarchy at ${unified.point} does not offer ${v2Controllers.join(', ')} to the host's cgroup, and no v1 hierarchy is mounted for ${missing.join(', ')}` };
  }
  if (missing.length === v1Controllers.length) return { kind: 'none', reason: 'no cgroup hierarchy is mounted' };
  return { kind: 'none', reason: `no v1 cgroup hierarchy is mounted for ${missing.join(', ')}` };
}

/** Describes a layout in one line, for events and `paddock status`. */
export function describeLayout(layout: CgroupLayout): string {
  if (layout.kind === 'none') return `none (${layout.reason})`;
  if (layout.kind === 'v2') return `cgroup v2 at ${layout.mount}`;
  return `cgroup v1 (${v1Controllers.join(', ')})`;
}
