/**
 * The words of an OOM kill: a worker the kernel's OOM killer ended at its pool's `limits.memory`
 * is reported as such, with the limit and the peak, instead of a bare SIGKILL.
 */

/** What the worker's cgroup said when its process exited by SIGKILL. */
export interface OomFacts {
  /** Processes of the worker's cgroup the OOM killer ended. */
  readonly kills: number;
  /** The pool's memory limit (bytes), or null. */
  readonly limitBytes: number | null;
  /** The worker's peak memory (bytes), or null where the kernel keeps none. */
  readonly peakBytes: number | null;
}

/** Megabytes with one decimal ("511.8 MB"); whole ones without ("512 MB"). */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return Number.isInteger(mb) ? `${mb} MB` : `${mb.toFixed(1)} MB`;
}

/** "killed by the kernel's OOM killer at the pool's 512 MB limit; peak 511.8 MB". */
export function oomWords(facts: OomFacts): string {
  const at = facts.limitBytes === null ? 'at a memory limit' : `at the pool's ${megabytes(facts.limitBytes)} limit`;
  const peak = facts.peakBytes === null ? '' : `; peak ${megabytes(facts.peakBytes)}`;
  return `killed by the kernel's OOM killer ${at}${peak}`;
}
