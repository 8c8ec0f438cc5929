/**
 * The front door's keep-alive connections to every worker, one UpstreamPool per worker: the HTTP
 * connector a lease takes its connection from. They belong to the front door, not to the worker:
 * the worker only says when they must close (draining: the idle ones; hung, orphaned or exited:
 * all of them), and this side closes them.
 */
import type { Connector, LeasedWorker, LeaseOutcome } from '../pools/lease.ts';
import { UpstreamPool, type UpstreamConnection } from './upstream-pool.ts';

/** The HTTP/1.1 connections of one front door. */
export class Upstreams implements Connector<UpstreamConnection> {
  readonly #byWorker = new WeakMap<LeasedWorker, UpstreamPool>();

  /** A connection to `worker`: an idle one unless `fresh`. */
  connect(worker: LeasedWorker, fresh: boolean): UpstreamConnection {
    let pool = this.#byWorker.get(worker);
    if (pool === undefined) {
      const created = new UpstreamPool(worker, { lend: true }); // the HTTP exchange copies what it keeps
      this.#byWorker.set(worker, created);
      worker.watchConnections((verdict) => (verdict === 'idle' ? created.closeIdle() : created.destroyAll()));
      pool = created;
    }
    return pool.take(fresh);
  }

  /** Keeps the connection of a completed exchange for the next one; closes every other. */
  release(conn: UpstreamConnection, outcome: LeaseOutcome): void {
    conn.pool.give(conn, outcome === 'completed');
  }
}
