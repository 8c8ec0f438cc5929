/**
 * How a worker was suspended (idleTimeoutAction Suspend, worker-process.ts) and for how long: its
 * cgroup frozen, so the whole tree stops and thaws together, or SIGSTOP to its process group.
 */
import type { WorkerMessage } from './control-channel.ts';
import type { WorkerCgroup } from './cgroups/worker-cgroup.ts';

/** The freezing and thawing of one worker, and the lag it leaves behind. */
export class Suspension {
  #suspendedAt = 0;
  #thawedAt = 0;
  #suspendedMs = 0;
  /** How a suspended worker was stopped: its cgroup frozen, or SIGSTOP to its process group. */
  #frozenBy: 'cgroup' | 'signal' = 'signal';

  /** Freezes the worker's cgroup at `now`, or where it has none sends `signal` SIGSTOP. */
  freeze(now: number, cgroup: WorkerCgroup | null, signal: (s: NodeJS.Signals) => void): void {
    this.#suspendedAt = now;
    this.#frozenBy = cgroup?.freeze() ? 'cgroup' : 'signal';
    if (this.#frozenBy === 'signal') signal('SIGSTOP');
  }

  /** Thaws what freeze() stopped. */
  unfreeze(cgroup: WorkerCgroup | null, signal: (s: NodeJS.Signals) => void): void {
    if (this.#frozenBy === 'cgroup') cgroup?.thaw();
    else signal('SIGCONT');
  }

  /** The worker is thawed at `now`: the suspension's length is kept for lagFromSuspension(). */
  thawedAt(now: number): void {
    this.#thawedAt = now;
    this.#suspendedMs = this.#thawedAt - this.#suspendedAt;
  }

  /**
   * Whether an event-loop report only measured time the host kept the worker frozen: after a
   * thaw, the SDK's timers fire late by the whole suspension, which is not the app's fault.
   */
  lagFromSuspension(m: WorkerMessage, now: number): boolean {
    const figure = (m as { eventLoopDelayMs?: unknown }).eventLoopDelayMs;
    const lag = typeof figure === 'number' ? figure : null;
    if (lag === null || this.#thawedAt === 0) return false;
    return now - this.#thawedAt < 5_000 && lag <= this.#suspendedMs + 1_000;
  }
}
