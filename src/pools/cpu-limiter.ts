/**
 * Enforces a pool's CPU limit over each reset interval (IIS `cpu`): measures its workers' CPU
 * time from /proc, and when the budget is spent reports it (event 5090) so the pool acts:
 * NoAction logs, KillW3wp stops the pool until the interval ends, Throttle and ThrottleUnderLoad
 * run the workers on a duty cycle (SIGSTOP/SIGCONT every 100 ms) until it ends. The duty cycle
 * works on every kernel and cgroup layout; a stopped slice is short enough for pings to pass.
 */
import { availableParallelism, loadavg } from 'node:os';
import type { CpuConfig } from '../config/types.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import { readCpuSeconds } from '../supervisor/proc-stats.ts';
import { cpuBudgetSeconds, overBudget, throttleDuty } from './policy/cpu-policy.ts';

const slotMs = 100;
const cores = availableParallelism();

export interface CpuExceeded {
  readonly usedSeconds: number;
  readonly budgetSeconds: number;
  readonly intervalMs: number;
}

/** The CPU accounting of one pool. */
export class CpuLimiter {
  #windowStart = 0;
  readonly #baseline = new Map<WorkerProcess, number>();
  #exceeded = false;
  #throttle: NodeJS.Timeout | null = null;
  #throttled: WorkerProcess[] = [];

  /** Whether the current window's budget has been spent. */
  get exceeded(): boolean {
    return this.#exceeded;
  }

  /** Samples the workers; returns the figures once per window when the budget is spent. */
  tick(now: number, workers: readonly WorkerProcess[], cpu: CpuConfig): CpuExceeded | null {
    if (cpu.limit <= 0) return null;
    if (now - this.#windowStart >= cpu.resetInterval) this.#newWindow(now, workers);
    let used = 0;
    for (const w of workers) {
      if (w.pid === null) continue;
      const seconds = readCpuSeconds(w.pid);
      if (seconds === null) continue;
      if (!this.#baseline.has(w)) this.#baseline.set(w, 0); // started in this window: all of it counts
      used += seconds - this.#baseline.get(w)!;
    }
    if (this.#exceeded || !overBudget(used, cpu.limit, cpu.resetInterval, cores)) return null;
    this.#exceeded = true;
    return { usedSeconds: used, budgetSeconds: cpuBudgetSeconds(cpu.limit, cpu.resetInterval, cores), intervalMs: cpu.resetInterval };
  }

  /** Milliseconds left in the current window. */
  remaining(now: number, cpu: CpuConfig): number {
    return Math.max(0, this.#windowStart + cpu.resetInterval - now);
  }

  #newWindow(now: number, workers: readonly WorkerProcess[]): void {
    this.#windowStart = now;
    this.#exceeded = false;
    this.#baseline.clear();
    for (const w of workers) {
      if (w.pid === null) continue;
      const seconds = readCpuSeconds(w.pid);
      if (seconds !== null) this.#baseline.set(w, seconds);
    }
    this.stopThrottle();
  }

  /** Runs the workers on a duty cycle until the window ends (Throttle, ThrottleUnderLoad). */
  throttle(workers: readonly WorkerProcess[], cpu: CpuConfig, underLoadOnly: boolean): number {
    this.stopThrottle();
    const duty = throttleDuty(cpu.limit, cores, workers.length);
    this.#throttled = workers.filter((w) => w.pid !== null);
    let running = true;
    const cycle = (): void => {
      const busy = !underLoadOnly || loadavg()[0] >= cores;
      const pause = running && busy && duty < 1;
      for (const w of this.#throttled) w.signal(pause ? 'SIGSTOP' : 'SIGCONT');
      running = !pause;
      this.#throttle = setTimeout(cycle, pause ? slotMs * (1 - duty) : slotMs * duty);
      this.#throttle.unref();
    };
    this.#throttle = setTimeout(cycle, slotMs * duty);
    this.#throttle.unref();
    return duty;
  }

  /** Ends throttling and lets every throttled worker run. */
  stopThrottle(): void {
    if (this.#throttle) clearTimeout(this.#throttle);
    this.#throttle = null;
    for (const w of this.#throttled) w.signal('SIGCONT');
    this.#throttled = [];
  }
}
