/**
 * Every process the bench starts goes through here: each is the leader of its own process group,
 * so stopping it stops everything it forked (nginx, PM2's cluster workers, wrk), and a last sweep
 * on exit kills any group still alive, even when a figure throws half-way.
 *
 * Descendants that leave the group (Paddock's workers are leaders of their own groups) carry the
 * run's token in their environment; `reapTagged` finds them in /proc by that token, so nothing the
 * bench started outlives it and nothing else is touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';

/** The environment variable that marks every process of this bench run. */
export const TOKEN_VAR = 'PADDOCK_BENCH_TOKEN';
/** This run's token: inherited by every child and, through them, by their descendants. */
export const RUN_TOKEN = `${process.pid}-${Date.now()}`;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process has exited. */
  readonly exited: Promise<number | string>;
  /** Whether the process has exited. */
  hasExited(): boolean;
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** File that receives stdout and stderr; output is discarded when absent. */
  readonly logFile?: string;
  /** Keep stdout as a pipe (for tools whose output the bench parses). */
  readonly captureStdout?: boolean;
}

const live = new Set<Child>();

/** Starts `command` as the leader of a new process group and tracks it until it exits. */
export function spawnTracked(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const fd = options.logFile ? openSync(options.logFile, 'a') : null;
  const out = options.captureStdout ? 'pipe' : (fd ?? 'ignore');
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, [TOKEN_VAR]: RUN_TOKEN },
    stdio: ['ignore', out, fd ?? 'ignore'],
    detached: true,
  });
  if (fd !== null) closeSync(fd);
  if (proc.pid === undefined) throw Object.assign(new Error(`${name}: could not start ${command}`), { code: 'BENCH_SPAWN' });
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const child: Child = { name, pid: proc.pid, proc, exited, hasExited: () => done };
  live.add(child);
  return child;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Stops a child's whole group: `signal` first, SIGKILL after `graceMs`. Never throws. */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (!child.hasExited()) killGroup(child.pid, signal);
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
  if ((await Promise.race([child.exited, timer])) === 'late') {
    killGroup(child.pid, 'SIGKILL');
    await child.exited;
  }
  // Anything the leader left behind in its group goes too.
  killGroup(child.pid, 'SIGKILL');
}

/**
 * Pids of live processes that carry this run's token, other than the bench itself; with `alsoVar`,
 * only those whose environment also sets that variable (e.g. PADDOCK_POOL: Paddock's workers).
 */
export function taggedPids(alsoVar?: string): number[] {
  const needle = `${TOKEN_VAR}=${RUN_TOKEN}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (env.includes(needle) && (alsoVar === undefined || env.some((e) => e.startsWith(`${alsoVar}=`)))) found.push(pid);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

/** SIGKILLs every process tagged with this run's token; returns their pids. */
export function reapTagged(): number[] {
  const pids = taggedPids();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return pids;
}

/** Stops every tracked child, then reaps tagged stragglers. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, 'SIGTERM', 5_000)));
  reapTagged();
}

// The last line of defence: on any exit, including an uncaught error, no group stays behind.
process.on('exit', () => {
  for (const c of live) killGroup(c.pid, 'SIGKILL');
  reapTagged();
});
