/**
 * What a report needs to know about a worker, copied at the moment of the crash or hang: the front
 * door forgets in-flight requests as their connections fail, and the pool drops the worker, so
 * everything is read synchronously before any capture step awaits.
 */
import type { PoolConfig } from '../config/types.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';

export interface WorkerFacts {
  readonly pool: PoolConfig;
  readonly id: string;
  readonly pid: number | null;
  readonly createdAt: number;
  readonly requests: number;
  readonly requestsInFlight: readonly string[];
  readonly requestsAbandoned: readonly string[];
}

/** "GET /a?b=1" → "GET /a": query strings may carry tokens, so reports leave them out by default. */
export function withoutQuery(request: string): string {
  const q = request.indexOf('?');
  return q === -1 ? request : request.slice(0, q);
}

/** A copy of the worker's facts, taken now. */
export function workerFacts(worker: WorkerProcess): WorkerFacts {
  const keepQuery = worker.pool.diagnostics.includeQueryStrings;
  const clean = (r: string): string => (keepQuery ? r : withoutQuery(r));
  return {
    pool: worker.pool,
    id: worker.id,
    pid: worker.pid,
    createdAt: worker.createdAt,
    requests: worker.requests,
    requestsInFlight: worker.requestsInHand().map(clean),
    requestsAbandoned: worker.requestsAbandoned.map(clean),
  };
}

/** The part of a crash or hang report that says which worker it was and what it was doing. */
export function reportWorkerFields(facts: WorkerFacts): {
  pool: string;
  worker: string;
  runtime: PoolConfig['runtime'];
  command: readonly string[];
  requestsServed: number;
  requestsInFlight: readonly string[];
  requestsAbandoned: readonly string[];
} {
  return {
    pool: facts.pool.name,
    worker: facts.id,
    runtime: facts.pool.runtime,
    command: facts.pool.command,
    requestsServed: facts.requests,
    requestsInFlight: facts.requestsInFlight,
    requestsAbandoned: facts.requestsAbandoned,
  };
}
