/**
 * What the pool shell writes and remembers for the request limits (pool-core.ts and
 * request-sweep.ts decide): the 504s of requestTimeout (7160), the queue waits past queueTimeout
 * (7161), the poison requests a worker held or dropped as it died (7162), and a worker unhealthy
 * from its start (7163). Every list of requests in an event is bounded.
 */
import { EventIds } from '../events/event-ids.ts';
import type { PoolConfig } from '../config/types.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import type { Lease, LeaseOutcome } from './lease.ts';
import { isPoison } from './policy/request-limits.ts';

/** Most request labels an event lists (the rest are counted). */
export const labelsListed = 20;

type EventExtra = { worker?: WorkerProcess; details?: Record<string, unknown>; level?: 'info' | 'warning' | 'error' };
/** Writes one event of the pool; returns its sequence number. */
export type PoolEventWriter = (id: number, message: string, extra?: EventExtra) => number;

/** "GET /a, GET /b and 3 more". */
export function listed(labels: readonly string[]): string {
  const shown = labels.slice(0, 5).join(', ');
  return labels.length > 5 ? `${shown} and ${labels.length - 5} more` : shown;
}

/** "GET /hang was in hand at 2 worker deaths". */
export function poisonText(poison: readonly string[]): string {
  return `${listed(poison)} ${poison.length === 1 ? 'was' : 'were'} in hand at 2 worker deaths`;
}

/** The request-limit events of one pool, and the poison requests its workers dropped. */
export class RequestEvents {
  readonly #write: PoolEventWriter;
  readonly #config: () => PoolConfig;
  /** Poison requests a worker dropped as its connections broke (it died a moment later), by worker. */
  readonly #dropped = new WeakMap<WorkerProcess, string[]>();

  constructor(write: PoolEventWriter, config: () => PoolConfig) {
    this.#write = write;
    this.#config = config;
  }

  /** A lease ended: one its worker dropped at a second death is remembered for that worker's exit. */
  leaseEnded(worker: WorkerProcess, lease: Lease, outcome: LeaseOutcome): void {
    if (outcome !== 'workerDied' || !isPoison(lease.deathsBefore)) return;
    this.droppedPoison(worker, lease.label);
  }

  /** `worker` dropped a poison request as its connections broke (a front-door thread's, or a lease here). */
  droppedPoison(worker: WorkerProcess, label: string): void {
    const list = this.#dropped.get(worker) ?? [];
    list.push(label);
    this.#dropped.set(worker, list);
  }

  /** Requests in hand at a second worker death: still on `worker`, or dropped as its connections broke. */
  poisonOn(worker: WorkerProcess): string[] {
    const held = [...(worker.inHand as ReadonlySet<Lease>)].filter((l) => isPoison(l.deathsBefore)).map((l) => l.label);
    return [...held, ...(this.#dropped.get(worker) ?? [])];
  }

  poison(worker: WorkerProcess, poison: readonly string[]): void {
    this.#write(EventIds.PoisonRequest, `${poisonText(poison)}: not retried again; the two deaths count once toward rapid-fail.`, {
      worker,
      details: { requests: poison.slice(0, labelsListed), deaths: 2 },
    });
  }

  /** Answers the leases 504 (requestTimeout) and writes 7160. */
  timedOut(worker: WorkerProcess, leases: readonly Lease[], limitMs: number): void {
    this.timedOutLabels(worker, leases.map((l) => l.label), limitMs);
    for (const lease of leases) lease.expire(limitMs);
  }

  /** Writes 7160 for requests already answered 504 (by a front-door thread, or by timedOut). */
  timedOutLabels(worker: WorkerProcess, labels: readonly string[], limitMs: number): void {
    this.#write(EventIds.RequestTimedOut, `${labels.length} request(s) on worker ${worker.id} (pid ${worker.pid}) got no response head within requestTimeout (${limitMs} ms) and were answered 504: ${listed(labels)}.`, {
      worker,
      details: { requestTimeoutMs: limitMs, requests: labels.slice(0, labelsListed), count: labels.length },
    });
  }

  queueTimedOut(count: number, limitMs: number): void {
    this.#write(EventIds.QueueTimedOut, `${count} request(s) waited in the queue of pool '${this.#config().name}' longer than queueTimeout (${limitMs} ms) and were refused with 503 QueueFull.`, {
      details: { queueTimeoutMs: limitMs, count },
    });
  }

  unhealthyAtStart(worker: WorkerProcess, reason: string, sinceReadyMs: number): void {
    this.#write(EventIds.UnhealthyAtStart, `Worker ${worker.id} (pid ${worker.pid}) reported itself unhealthy ${sinceReadyMs} ms after it became ready (within startupTimeLimit): counted as a failure toward rapid-fail.`, {
      worker,
      details: { reason, sinceReadyMs, startupTimeLimitMs: this.#config().processModel.startupTimeLimit },
    });
  }
}
