/**
 * The CPU limit of a pool (IIS `cpu.limit`, `cpu.resetInterval`): the pool's workers together may
 * use `limit` (in 1/1000 of a percent of all CPUs) of the machine over each reset interval.
 * Pure: CPU seconds and time come in, a verdict goes out.
 */

/** CPU seconds the pool may use in one interval. */
export function cpuBudgetSeconds(limit: number, intervalMs: number, cores: number): number {
  return (limit / 100_000) * cores * (intervalMs / 1000);
}

/** Fraction of one interval the pool's workers may run when throttled (0..1). */
export function throttleDuty(limit: number, cores: number, workers: number): number {
  if (workers <= 0) return 1;
  // Each worker may use limit × cores / workers of one CPU; a process uses at most one CPU per thread.
  return Math.max(0.02, Math.min(1, ((limit / 100_000) * cores) / workers));
}

export interface CpuWindow {
  readonly startedAt: number;
  /** CPU seconds of the pool's workers used in this window so far. */
  readonly used: number;
  readonly exceeded: boolean;
}

/** Whether the window's budget is spent. */
export function overBudget(usedSeconds: number, limit: number, intervalMs: number, cores: number): boolean {
  return limit > 0 && usedSeconds > cpuBudgetSeconds(limit, intervalMs, cores);
}
