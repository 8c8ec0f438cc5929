/**
 * The host's open-file limit, raised at start to the hard limit, as nginx's worker_rlimit_nofile
 * does: every client connection and every pooled worker connection is a descriptor, and the usual
 * soft limit of 1024 (systemd's default too, whatever LimitNOFILE's hard value) would refuse
 * connections long before the machine is busy. Node itself raises its soft limit to the hard one
 * as it starts (PlatformInit in node.cc), so this mostly checks and says what the host got; where
 * the soft limit is still lower, util-linux `prlimit` raises it (Node has no setrlimit; any user
 * may raise a soft limit up to the hard one). Workers inherit the limit, as nginx's workers do.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface OpenFileLimit {
  readonly soft: number | null;
  readonly hard: number | null;
  /** The soft limit before, when it was raised. */
  readonly was: number | null;
  /** Why it was not raised, when it is below the hard limit; null otherwise. */
  readonly problem: string | null;
}

/** `Max open files` of /proc/PID/limits; "unlimited" is Infinity. */
export function readOpenFileLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const m = line && /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) return null;
    const n = (v: string): number => (v === 'unlimited' ? Infinity : Number(v));
    return { soft: n(m[1]), hard: n(m[2]) };
  } catch {
    return null;
  }
}

const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'];

/** Raises this process's soft open-file limit to its hard limit; says what it got. Never throws. */
export function raiseOpenFileLimit(): OpenFileLimit {
  const before = readOpenFileLimit();
  if (before === null) return { soft: null, hard: null, was: null, problem: 'cannot read /proc/self/limits' };
  if (before.soft >= before.hard) return { soft: before.soft, hard: before.hard, was: null, problem: null };
  const prlimit = PRLIMIT.find((f) => existsSync(f));
  if (prlimit === undefined) return { ...before, was: null, problem: 'util-linux prlimit is not installed' };
  const hard = before.hard === Infinity ? 'unlimited' : String(before.hard);
  try {
    execFileSync(prlimit, ['--pid', String(process.pid), `--nofile=${hard}:${hard}`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
  } catch (err) {
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    return { ...before, was: null, problem: `prlimit failed: ${why}` };
  }
  const after = readOpenFileLimit() ?? before;
  return { soft: after.soft, hard: after.hard, was: before.soft, problem: after.soft < after.hard ? 'prlimit left it unchanged' : null };
}

/** One line for the host's log. */
export function describeOpenFileLimit(l: OpenFileLimit): string {
  const show = (n: number | null): string => (n === null ? 'unknown' : n === Infinity ? 'unlimited' : String(n));
  if (l.problem !== null && l.soft === null) return `open-file limit unknown: ${l.problem}`;
  if (l.was !== null) return `open-file limit raised from ${show(l.was)} to ${show(l.soft)} (the hard limit)`;
  if (l.problem !== null) return `open-file limit stays ${show(l.soft)} (hard ${show(l.hard)}): ${l.problem}`;
  return `open-file limit ${show(l.soft)} (the hard limit)`;
}
