/**
 * Core files of native crashes. A worker's core limit is raised while it runs (`prlimit --pid`,
 * which works on a running process, so it needs nothing from the spawn path), and after a crash the
 * core is looked for where the kernel's `core_pattern` puts it. A pattern that pipes to a program
 * (systemd-coredump, apport) hands the core to that program: the host says so plainly instead of
 * pretending, and points at the tool that has it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { setprivPath } from '../supervisor/spawn-spec.ts';

const prlimitCandidates = ['/usr/bin/prlimit', '/bin/prlimit'];
/** util-linux prlimit, or null. */
export const prlimitPath: string | null = prlimitCandidates.find((p) => existsSync(p)) ?? null;

/** How the kernel names cores on this machine. */
export interface CorePattern {
  readonly pattern: string;
  /** The pattern starts with '|': cores go to a program, not to a file. */
  readonly piped: boolean;
  /** kernel.core_uses_pid: ".<pid>" is appended when the pattern has no %p. */
  readonly usesPid: boolean;
}

/** Reads /proc/sys/kernel/core_pattern and core_uses_pid; null where /proc does not say. */
export function readCorePattern(): CorePattern | null {
  try {
    const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
    let usesPid = false;
    try {
      usesPid = readFileSync('/proc/sys/kernel/core_uses_pid', 'utf8').trim() === '1';
    } catch {
      // older kernels: no such knob
    }
    return { pattern, piped: pattern.startsWith('|'), usesPid };
  } catch {
    return null;
  }
}

/** The plain words an operator needs when cores cannot be captured here; null when they can. */
export function corePatternNote(cp: CorePattern | null): string | null {
  if (cp === null) return 'kernel.core_pattern cannot be read; no core captured';
  if (!cp.piped) return null;
  const program = cp.pattern.slice(1).trim().split(/\s+/)[0] ?? '';
  const hint = /systemd-coredump/.test(program) ? ' (see `coredumpctl list`)' : /apport/.test(program) ? ' (see /var/crash)' : '';
  return `core_pattern sends cores to ${program}${hint}; no core captured. To let paddock capture cores, set kernel.core_pattern to a file name such as "core" (sysctl -w kernel.core_pattern=core).`;
}

/**
 * Raises the core limit of a running process to unlimited, or to its hard limit when the host may
 * not raise the hard limit. Resolves with null, or why it could not.
 */
export function raiseCoreLimit(pid: number): Promise<string | null> {
  if (prlimitPath === null) return Promise.resolve('prlimit (util-linux) is not installed; the core limit was not raised');
  // prlimit(2) on a process of another uid needs CAP_SYS_RESOURCE, which a container's root may lack;
  // as the worker's own uid and gid (an ApplicationPoolIdentity) it needs nothing.
  const owner = ownerOf(pid);
  const asOwner = owner !== null && setprivPath !== null && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.());
  const run = (value: string): Promise<string | null> =>
    new Promise((resolve) => {
      const args = ['--pid', String(pid), `--core=${value}`];
      const [file, argv] = asOwner ? [setprivPath!, ['--reuid', String(owner!.uid), '--regid', String(owner!.gid), '--clear-groups', '--', prlimitPath!, ...args]] : [prlimitPath!, args];
      execFile(file, argv, { timeout: 2000 }, (err, _out, stderr) => {
        resolve(err ? (stderr.trim() || err.message) : null);
      });
    });
  return run('unlimited').then(async (problem) => {
    if (problem === null) return null;
    const hard = hardCoreLimit(pid);
    if (hard === null || hard === 0) return `the core limit could not be raised: ${problem}`;
    const second = await run(`${hard === Infinity ? 'unlimited' : hard}:`);
    return second === null ? null : `the core limit could not be raised: ${second}`;
  });
}

/** The real uid and gid of a process, from /proc/<pid>/status. */
function ownerOf(pid: number): { uid: number; gid: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
    return uid === undefined || gid === undefined ? null : { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

/** The hard RLIMIT_CORE of a process from /proc/<pid>/limits (Infinity = unlimited). */
function hardCoreLimit(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max core file size'));
    const hard = line?.trim().split(/\s{2,}/)[2];
    if (hard === undefined) return null;
    return hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return null;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A regular expression for the core file name of `pid` under a file pattern (core(5): %p pid,
 * %e executable name, %t time, ...), and the folder to look in (relative patterns land in the
 * process's working directory).
 */
export function coreFileMatcher(cp: CorePattern, pid: number, cwd: string): { dir: string; name: RegExp } {
  const path = isAbsolute(cp.pattern) ? cp.pattern : join(cwd, cp.pattern);
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  let re = '';
  let hasPid = false;
  for (let i = 0; i < base.length; i++) {
    if (base[i] !== '%' || i + 1 >= base.length) {
      re += escapeRegExp(base[i]);
      continue;
    }
    const spec = base[++i];
    if (spec === '%') re += '%';
    else if (spec === 'p' || spec === 'P' || spec === 'i' || spec === 'I') {
      re += String(pid);
      hasPid ||= spec === 'p' || spec === 'P';
    } else if (spec === 't' || spec === 'u' || spec === 'g' || spec === 's' || spec === 'd') re += '\\d+';
    else re += '[^/]*';
  }
  if (cp.usesPid && !hasPid) re += `\\.${pid}`;
  return { dir, name: new RegExp(`^${re}$`) };
}

/**
 * Looks for the core of `pid` (dumped after `since`, epoch ms). The kernel writes it before the
 * exit is reported, so it is there at once or not at all; a short wait covers slow disks.
 */
export async function findCore(cp: CorePattern, pid: number, cwd: string, since: number, waitMs: number): Promise<{ path: string; bytes: number } | null> {
  const { dir, name } = coreFileMatcher(cp, pid, cwd);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) {
      if (!name.test(n)) continue;
      const s = await stat(join(dir, n)).catch(() => null);
      // "core" without a pid may be an old core of another process: only a fresh one counts.
      if (s !== null && s.isFile() && s.mtimeMs >= since - 1000) return { path: join(dir, n), bytes: s.size };
    }
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}
