/**
 * The front door's FastCGI connections to every worker (the FastCGI connector a lease takes its
 * connection from), kept open between requests as FCGI_KEEP_CONN asks. The same keep-alive pool as
 * HTTP's (upstream-pool.ts), with one rule more: a php-cgi serves one connection at a time and reads
 * a kept one until it closes, so while a probe (ready or ping) waits for the worker on a connection
 * of its own, no connection is kept: it closes after its request and the probe gets its turn.
 */
import type { Connector, LeasedWorker, LeaseOutcome } from '../pools/lease.ts';
import { UpstreamPool, type UpstreamConnection } from './upstream-pool.ts';

/** The FastCGI connections of one front door. */
export class FastCgiUpstreams implements Connector<UpstreamConnection> {
  readonly #byWorker = new WeakMap<LeasedWorker, UpstreamPool>();
  readonly #workerOf = new WeakMap<UpstreamPool, LeasedWorker>();

  /**
   * A connection to `worker`: the kept one unless `fresh`. A fresh one (a retry) closes the kept
   * one first: php-cgi would read the kept connection and leave the new one waiting to be accepted.
   */
  connect(worker: LeasedWorker, fresh: boolean): UpstreamConnection {
    let pool = this.#byWorker.get(worker);
    if (pool === undefined) {
      const created = new UpstreamPool(worker);
      this.#byWorker.set(worker, created);
      this.#workerOf.set(created, worker);
      worker.watchConnections((verdict) => (verdict === 'idle' ? created.closeIdle() : created.destroyAll()));
      pool = created;
    }
    if (fresh) pool.closeIdle();
    return pool.take(fresh);
  }

  /** Keeps the connection of a completed request for the next one, unless a probe waits; closes every other. */
  release(conn: UpstreamConnection, outcome: LeaseOutcome): void {
    const worker = this.#workerOf.get(conn.pool);
    conn.pool.give(conn, outcome === 'completed' && worker !== undefined && !worker.probePending);
  }
}
