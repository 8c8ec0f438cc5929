/**
 * What diagnostics learns about a worker while it runs, for a crash that comes later: its pool
 * config, pid, executable and working directory (from /proc, once it has exec'd), and whether its
 * core limit was raised. Fed by the spawn hook (`extraEnv`) and the worker events 6001/6002, so the
 * pool's spawn path needs no diagnostics-specific step.
 */
import { readlinkSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { PoolConfig } from '../config/types.ts';

export interface WorkerEntry {
  readonly pool: PoolConfig;
  pid: number | null;
  /** /proc/<pid>/exe once the worker runs its own program (not the setpriv wrapper). */
  exe: string | null;
  cwd: string | null;
  /** null: not raised (not asked); '' raised; text: why it could not be. */
  coreLimit: string | null;
  /** Started with Node's report flags, so a report may exist after a crash. */
  nodeReports: boolean;
}

/** Entries beyond this trigger a sweep of those whose process is gone. */
const SWEEP_AT = 256;

/** The wrapper every worker is started through (spawn-spec.ts); its exe is not the worker's. */
const WRAPPERS = new Set(['setpriv', 'prlimit', 'env']);

/** Workers by id. */
export class WorkerRegistry {
  readonly #entries = new Map<string, WorkerEntry>();

  /** A worker is about to be spawned. */
  spawning(workerId: string, pool: PoolConfig): void {
    this.#entries.set(workerId, { pool, pid: null, exe: null, cwd: null, coreLimit: null, nodeReports: false });
    if (this.#entries.size > SWEEP_AT) this.#sweep();
  }

  get(workerId: string): WorkerEntry | undefined {
    return this.#entries.get(workerId);
  }

  /** Live entries of a pool. */
  ofPool(pool: string): Array<[string, WorkerEntry]> {
    return [...this.#entries].filter(([, e]) => e.pool.name === pool && e.pid !== null && alive(e.pid));
  }

  /** Reads exe and cwd from /proc while the process runs. */
  observe(workerId: string, pid: number): void {
    const e = this.#entries.get(workerId);
    if (e === undefined) return;
    e.pid = pid;
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      if (!WRAPPERS.has(basename(exe))) e.exe = exe.replace(/ \(deleted\)$/, '');
    } catch {
      // gone already, or another user's process without the rights
    }
    try {
      e.cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // as above
    }
  }

  forget(workerId: string): void {
    this.#entries.delete(workerId);
  }

  #sweep(): void {
    for (const [id, e] of this.#entries) if (e.pid !== null && !alive(e.pid)) this.#entries.delete(id);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The executable of a pool's command when /proc did not tell: the host's Node for `node`, an
 * absolute path as is, a relative one against cwd, a bare name through PATH.
 */
export function resolveExecutable(pool: PoolConfig, searchPath: string | undefined, exists: (p: string) => boolean): string | null {
  const first = pool.command[0];
  if (first === undefined) return null;
  // runtime node runs `node`, and a script given as the program, on the host's Node (worker-argv.ts).
  if (pool.runtime === 'node' && (first === 'node' || /\.[cm]?js$/.test(first))) return process.execPath;
  if (isAbsolute(first)) return first;
  if (first.includes('/')) return join(pool.cwd, first);
  for (const dir of (searchPath ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, first);
    if (exists(candidate)) return candidate;
  }
  return null;
}
