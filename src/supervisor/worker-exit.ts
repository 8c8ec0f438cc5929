/** What the host knows of a worker's exit (worker-process.ts): the 'exit' event's facts. */
import type { WorkerState } from './worker-state.ts';
import type { WorkerCgroup } from './cgroups/worker-cgroup.ts';
import type { OomFacts } from './cgroups/oom-words.ts';

export interface ExitFacts {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The host asked for this exit (drain, recycle, stop, kill after a limit). */
  readonly expected: boolean;
  /** State before the exit. */
  readonly stateBefore: WorkerState;
  readonly uptimeMs: number;
  /** The kernel's OOM killer ended a process of the worker's cgroup (null without a cgroup, or no OOM kill). */
  readonly oom?: OomFacts | null;
}

/** The facts of an exit, the OOM kills read from the worker's cgroup: before it ends. */
export function exitFacts(facts: Omit<ExitFacts, 'oom'>, cgroup: WorkerCgroup | null): ExitFacts {
  // A SIGKILL may be the kernel's OOM killer.
  const oomFacts = facts.signal === 'SIGKILL' && cgroup !== null ? cgroup.oomFacts() : null;
  return { ...facts, oom: oomFacts !== null && oomFacts.kills > 0 ? oomFacts : null };
}
