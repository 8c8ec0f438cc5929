/**
 * Whether a pool's identity can reach its app: enter its `cwd`, run its program, read its script.
 * A worker that cannot is not started: the pool is stopped with event 5021 and a reason naming the
 * path, instead of a worker that crash-loops into rapid-fail. `paddock check` asks the same.
 * The owner/group/other mode bits are read (POSIX ACLs are not).
 */
import { execFileSync } from 'node:child_process';
import { statSync, type Stats } from 'node:fs';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import type { PoolConfig } from '../config/types.ts';
import { findProgram } from './find-program.ts';
import { workerArgv } from './worker-argv.ts';
import type { Identity } from './identity.ts';

/** Who is asking: a uid and every gid it holds. */
export interface Caller {
  readonly uid: number;
  readonly gids: readonly number[];
}

const R = 4;
const X = 1;

/** The caller a worker of `identity` runs as, or null when it is the host (or root): nothing to check. */
export function callerOf(identity: Identity): Caller | null {
  const uid = identity.uid ?? process.getuid?.() ?? 0;
  if (uid === 0 || identity.uid === null) return null;
  const gid = identity.gid ?? uid;
  if (identity.type === 'ApplicationPoolIdentity' || identity.user === null) return { uid, gids: [gid] };
  // SpecificUser keeps its groups (setpriv --init-groups).
  let groups: number[] = [];
  try {
    groups = execFileSync('id', ['-G', identity.user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).map(Number);
  } catch {
    // a user without groups: its primary gid only
  }
  return { uid, gids: [gid, ...groups] };
}

function permits(st: Stats, caller: Caller, bits: number): boolean {
  const mode = st.uid === caller.uid ? st.mode >> 6 : caller.gids.includes(st.gid) ? st.mode >> 3 : st.mode;
  return (mode & bits) === bits;
}

/**
 * Why `caller` cannot reach `path` (`enter` a folder, `read` a file, `run` a program), naming the
 * path that stops it; null when it can. A path that does not exist is for other checks to report.
 */
export function accessProblem(caller: Caller, path: string, want: 'enter' | 'read' | 'run'): string | null {
  const target = resolve(path);
  const parents: string[] = [];
  for (let p = dirname(target); ; p = dirname(p)) {
    parents.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const dir of parents) {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch {
      return null;
    }
    if (!permits(st, caller, X)) return `uid ${caller.uid} cannot enter ${dir} (mode ${modeText(st)}, owner ${st.uid}:${st.gid}) on the way to ${target} (let others enter it, chmod o+x, or run the pool as another identity)`;
  }
  let st: Stats;
  try {
    st = statSync(target);
  } catch {
    return null;
  }
  const bits = want === 'read' ? R : want === 'enter' ? X : X;
  const verb = want === 'read' ? 'read' : want === 'enter' ? 'enter' : 'run';
  if (!permits(st, caller, bits)) return `uid ${caller.uid} cannot ${verb} ${target} (mode ${modeText(st)}, owner ${st.uid}:${st.gid})`;
  return null;
}

function modeText(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

/** What a pool's identity can reach of its app. */
export interface AppAccess {
  /** The first thing it cannot reach (cwd, program, script), naming the path; null when all can be. */
  readonly problem: string | null;
  /** The program file it runs, found on PATH as it can run it; null for the host's own identity. */
  readonly program: string | null;
}

/**
 * What the identity of `pool` can reach: the cwd, the program, and a script named in its
 * arguments (an argument that is an existing file).
 */
export function appAccess(pool: PoolConfig, identity: Identity): AppAccess {
  const caller = callerOf(identity);
  if (caller === null) return { problem: null, program: null };
  const cwd = accessProblem(caller, pool.cwd, 'enter');
  if (cwd !== null) return { problem: `cwd: ${cwd}`, program: null };
  const argv = workerArgv(pool, '0');
  const run = findRunnable(caller, argv[0] ?? '', pool.env.PATH ?? process.env.PATH, pool.cwd);
  if (run.problem !== null) return { problem: `command: ${run.problem}`, program: null };
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-') || !/[/.]/.test(arg)) continue;
    const file = isAbsolute(arg) ? arg : resolve(pool.cwd, arg);
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      continue;
    }
    if (!isFile) continue;
    const read = accessProblem(caller, file, 'read');
    if (read !== null) return { problem: `script: ${read}`, program: run.file };
  }
  return { problem: null, program: run.file };
}

/** The first thing of `pool` its identity cannot reach, or null (appAccess). */
export function appAccessProblem(pool: PoolConfig, identity: Identity): string | null {
  return appAccess(pool, identity).problem;
}

/**
 * The file `caller` runs for `program`: a PATH entry it cannot run is passed over for the next (a
 * shim under /root for /usr/bin), and the host hands setpriv that file, so the worker runs what
 * was checked rather than what execvp(3) would try first.
 */
function findRunnable(caller: Caller, program: string, path: string | undefined, cwd: string): { file: string | null; problem: string | null } {
  if (program.includes('/')) {
    const file = findProgram(program, path, cwd);
    return { file, problem: file === null ? null : accessProblem(caller, file, 'run') };
  }
  let first: string | null = null;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = resolve(cwd, dir, program);
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    const problem = accessProblem(caller, file, 'run');
    if (problem === null) return { file, problem: null };
    first ??= problem;
  }
  return { file: null, problem: first };
}
