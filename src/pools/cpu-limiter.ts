/**
 * Enforces a pool's CPU limit over each reset interval (IIS `cpu`): measures its workers' CPU
 * time from /proc and, when the budget is spent, writes event 5090 and acts: NoAction logs,
 * KillW3wp kills the workers and stops the pool until the interval ends (then starts it again, as
 * IIS does). Throttle and ThrottleUnderLoad hold the pool at its limit with the kernel's CPU
 * quota on the pool's cgroup (cpu.max, cpu.cfs_quota_us), as IIS 8 does with a job object: Throttle
 * always, ThrottleUnderLoad while the machine is busy (load average at or past its cores); the
 * 5090 event then says when the kernel held the pool back. Where the host has no cgroups, they run
 * the workers on a duty cycle (SIGSTOP/SIGCONT every 100 ms) once the budget is spent, until the
 * interval ends; a stopped slice is short enough for pings to pass.
 */
import { availableParallelism, loadavg } from 'node:os';
import type { CpuConfig, PoolConfig } from '../config/types.ts';
import type { PoolState, PoolStopReason } from './pool-state.ts';
import { EventIds } from '../events/event-ids.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import { cpuBudgetSeconds, overBudget, throttleDuty } from './policy/cpu-policy.ts';

const slotMs = 100;
const cores = availableParallelism();

/** What the limiter needs from its pool. */
export interface CpuHost {
  readonly name: string;
  readonly config: PoolConfig;
  readonly state: PoolState;
  readonly stopReason: PoolStopReason;
  readonly workers: readonly WorkerProcess[];
  event(id: number, message: string, extra: { details?: Record<string, unknown> }): void;
  /** Stops the pool because of its CPU limit (stop reason cpuLimit, autoShutdownAction). */
  stopBySelf(): void;
  start(): void;
  /** Sets the kernel's CPU quota of the pool (CPUs, or null for none); false where the pool has no cgroup. */
  setCpuQuota(cpus: number | null): boolean;
  /** Times the kernel held the pool back by its quota so far. */
  throttledCount(): number;
}

export interface CpuExceeded {
  readonly usedSeconds: number;
  readonly budgetSeconds: number;
  readonly intervalMs: number;
}

/** The CPU accounting of one pool. */
export class CpuLimiter {
  readonly #host: CpuHost;
  #windowStart = 0;
  readonly #baseline = new Map<WorkerProcess, number>();
  #exceeded = false;
  #throttle: NodeJS.Timeout | null = null;
  #throttled: WorkerProcess[] = [];
  #restart: NodeJS.Timeout | null = null;
  /** The quota set on the pool's cgroup (CPUs), or null; undefined before the first tick. */
  #quota: number | null | undefined = undefined;
  #kernel = false;
  #throttledAtWindow = 0;

  constructor(host: CpuHost) {
    this.#host = host;
  }

  /** Samples the workers (called by the pool's tick) and acts once per window when the budget is spent. */
  tick(now: number): void {
    this.#applyQuota();
    const over = this.measure(now, this.#host.workers, this.#host.config.cpu);
    if (over !== null) this.#act(over, now);
  }

  /** Whether the kernel holds the pool at its limit (a cgroup quota) rather than the duty cycle. */
  get kernelQuota(): boolean {
    return this.#kernel;
  }

  /** The quota the pool's cgroup should have now: IIS 8 Throttle always, ThrottleUnderLoad under load. */
  #applyQuota(): void {
    const cpu = this.#host.config.cpu;
    const throttles = cpu.limit > 0 && (cpu.action === 'Throttle' || (cpu.action === 'ThrottleUnderLoad' && loadavg()[0] >= cores));
    const wanted = throttles ? (cpu.limit / 100_000) * cores : null;
    if (wanted === this.#quota) return;
    const applied = this.#host.setCpuQuota(wanted);
    this.#kernel = applied && (cpu.action === 'Throttle' || cpu.action === 'ThrottleUnderLoad') && cpu.limit > 0;
    this.#quota = wanted; // also without a cgroup: remembered, so it is not asked again every tick
  }

  /** Samples the workers; returns the figures once per window when the budget is spent. */
  measure(now: number, workers: readonly WorkerProcess[], cpu: CpuConfig): CpuExceeded | null {
    if (cpu.limit <= 0) return null;
    if (now - this.#windowStart >= cpu.resetInterval) this.#newWindow(now, workers);
    let used = 0;
    for (const w of workers) {
      if (w.pid === null) continue;
      const seconds = w.cpuSeconds();
      if (seconds === null) continue;
      if (!this.#baseline.has(w)) this.#baseline.set(w, 0); // started in this window: all of it counts
      used += seconds - this.#baseline.get(w)!;
    }
    // Held by the kernel's quota, the pool cannot pass its budget: the kernel throttling it is the news.
    const held = this.#kernel && this.#host.throttledCount() > this.#throttledAtWindow;
    if (this.#exceeded || !(held || overBudget(used, cpu.limit, cpu.resetInterval, cores))) return null;
    this.#exceeded = true;
    return { usedSeconds: used, budgetSeconds: cpuBudgetSeconds(cpu.limit, cpu.resetInterval, cores), intervalMs: cpu.resetInterval };
  }

  #act(over: CpuExceeded, now: number): void {
    const host = this.#host;
    const cpu = host.config.cpu;
    const left = Math.max(0, this.#windowStart + cpu.resetInterval - now);
    const figures = `used ${over.usedSeconds.toFixed(2)} CPU seconds of ${over.budgetSeconds.toFixed(2)} allowed in ${over.intervalMs} ms (limit ${cpu.limit / 1000}%)`;
    const details = { usedSeconds: over.usedSeconds, budgetSeconds: over.budgetSeconds, limit: cpu.limit, resetIntervalMs: cpu.resetInterval, action: cpu.action };
    const exceeded = `Pool '${host.name}' exceeded its CPU limit: ${figures}.`;
    switch (cpu.action) {
      case 'NoAction':
        host.event(EventIds.CpuLimit, `${exceeded} Action: none (NoAction).`, { details });
        return;
      case 'KillW3wp':
        host.event(EventIds.CpuLimit, `${exceeded} Action: its workers were killed and the pool is stopped for ${left} ms (KillW3wp).`, { details: { ...details, stoppedForMs: left } });
        for (const w of host.workers) {
          w.expectExit('CPU limit');
          w.kill();
        }
        host.stopBySelf();
        // IIS starts the pool again when the reset interval ends.
        this.#restart = setTimeout(() => {
          this.#restart = null;
          if (host.state === 'stopped' && host.stopReason === 'cpuLimit') host.start();
        }, Math.max(left, 1));
        this.#restart.unref();
        return;
      case 'Throttle':
      case 'ThrottleUnderLoad': {
        if (this.#kernel) {
          const cpus = this.#quota ?? 0;
          const held = `${exceeded.replace('exceeded its CPU limit', 'reached its CPU limit')} Action: the kernel holds its workers at ${Math.round(cpus * 100)}% of one CPU (cgroup CPU quota, ${cpu.action}).`;
          host.event(EventIds.CpuLimit, held, { details: { ...details, enforcement: 'cgroup', quotaCpus: cpus, throttledPeriods: host.throttledCount() - this.#throttledAtWindow } });
          return;
        }
        const duty = this.#startThrottle(host.workers.filter((w) => w.state === 'ready'), cpu, cpu.action === 'ThrottleUnderLoad');
        host.event(EventIds.CpuLimit, `${exceeded} Action: its workers run ${Math.round(duty * 100)}% of the time for ${left} ms (${cpu.action}).`, { details: { ...details, enforcement: 'dutyCycle', duty, throttledForMs: left } });
        return;
      }
    }
  }

  #newWindow(now: number, workers: readonly WorkerProcess[]): void {
    this.#windowStart = now;
    this.#exceeded = false;
    this.#baseline.clear();
    if (this.#kernel) this.#throttledAtWindow = this.#host.throttledCount();
    for (const w of workers) {
      if (w.pid === null) continue;
      const seconds = w.cpuSeconds();
      if (seconds !== null) this.#baseline.set(w, seconds);
    }
    this.stopThrottle();
  }

  /** Runs the workers on a duty cycle until the window ends; returns the duty. */
  #startThrottle(workers: readonly WorkerProcess[], cpu: CpuConfig, underLoadOnly: boolean): number {
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

  /** Ends throttling and lets every throttled worker run (window over, pool stopping). */
  stopThrottle(): void {
    if (this.#kernel && this.#host.state !== 'started') {
      this.#host.setCpuQuota(null);
      this.#quota = undefined;
      this.#kernel = false;
    }
    if (this.#throttle) clearTimeout(this.#throttle);
    this.#throttle = null;
    for (const w of this.#throttled) w.signal('SIGCONT');
    this.#throttled = [];
  }

  /** Forgets a pending KillW3wp restart (the pool was started by other means). */
  cancelRestart(): void {
    if (this.#restart) clearTimeout(this.#restart);
    this.#restart = null;
  }
}
