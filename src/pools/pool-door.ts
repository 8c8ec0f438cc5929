/**
 * What the front door needs of a pool to serve a request: its name and configuration, a lease or
 * a queue place (`acquire`), and the counts of what it refused. The pool shell (pool.ts) is one,
 * on the host's thread; a front-door thread's gate over the shared table (front-door/thread-gate.ts)
 * is the other. The front door never sees more of a pool than this.
 */
import type { PoolConfig } from '../config/types.ts';
import type { Lease, Refusal, RefusalReason, Waiter } from './lease.ts';

export interface PoolDoor {
  readonly name: string;
  readonly config: PoolConfig;
  /** A lease on a ready worker now, a refusal, or null when the waiter was queued (it gets `grant` or `refuse` later). */
  acquire<C>(waiter: Waiter<C>): Lease<C> | Refusal | null;
  /** A queued request gave up (its client went away). */
  cancel(waiter: Waiter): void;
  /** Counts a refused request the front door decided on itself (e.g. retry exhausted). */
  countRefusal(reason: RefusalReason): void;
  /** What a FastCGI worker's request wrote to FCGI_STDERR, for the pool's output log. */
  applicationStderr(workerId: string, data: Buffer): void;
}
