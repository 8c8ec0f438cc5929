/**
 * A lease (Passenger's *session*): one request's hold on one worker of a pool. The pool grants it;
 * it carries the worker's address and a connection from the front door's keep-alive pool, and it
 * ends exactly once, with `release(outcome)`, which puts everything back: the connection is kept
 * or closed, the worker forgets the request, the pool counts it and serves the next waiter.
 *
 * The connections belong to whoever asks for the lease (the front door, through its `Connector`),
 * so a pool never knows what protocol or socket carries a request, and a second upstream protocol
 * (FastCGI) brings its own connector and leaves the pool as it is.
 */
import type { WorkerAddress } from '../supervisor/worker-port.ts';
import type { ConnectionsVerdict, ExitFacts, RequestEnd, RequestInHand } from '../supervisor/worker-process.ts';
import type { WorkerState } from '../supervisor/worker-state.ts';
import type { HeldRequest } from './policy/request-limits.ts';

/** How a request ended, as its lease is released. */
export type LeaseOutcome =
  /** The response went out whole; the connection may carry the next request. */
  | 'completed'
  /** The response went out whole, but the connection must not carry another (close-delimited body, `Connection: close`, a request body cut short). */
  | 'completedClose'
  /** The worker's side broke before the response was whole: the request is kept as abandoned for the crash report. */
  | 'workerDied'
  /** The client went away, or broke its own framing: the connection to the worker is closed. */
  | 'clientGone'
  /** The request became a tunnel (101 Switching Protocols) and the tunnel has now closed, from either side. */
  | 'upgraded'
  /** The worker sent no response head within requestTimeout: the front door answered 504 and closes the connection to the worker. */
  | 'timedOut';

/** What the front door sees of a leased worker: read-only. */
export interface LeasedWorker {
  readonly id: string;
  readonly address: WorkerAddress;
  readonly state: WorkerState;
  readonly hung: boolean;
  /** A FastCGI probe waits for the worker on a connection of its own: keep no connection to it now. */
  readonly probePending: boolean;
  readonly exitFacts: ExitFacts | null;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitFacts>;
  /** Calls `fn` whenever the worker's connections must close (see WorkerProcess.watchConnections). */
  watchConnections(fn: (verdict: ConnectionsVerdict) => void): void;
}

/**
 * The worker side of a lease: the worker process itself on the host's thread, or a front-door
 * thread's mirror of it over the shared table (front-door/worker-mirror.ts).
 */
export interface LeaseWorker extends LeasedWorker {
  readonly pool: { readonly diagnostics: { readonly includeQueryStrings: boolean } };
  beginRequest(request: RequestInHand): void;
  beginTunnel(request: RequestInHand): void;
  endRequest(request: RequestInHand, end: RequestEnd): void;
}

/** The keep-alive connections of one front door (front-door/upstreams.ts is the HTTP one). */
export interface Connector<C> {
  /** A connection to `worker` for one request: an idle keep-alive one, unless `fresh`. */
  connect(worker: LeasedWorker, fresh: boolean): C;
  /** The lease ended: keep `conn` for the next request or close it, as `outcome` says. */
  release(conn: C, outcome: LeaseOutcome): void;
}

/** The request line a lease names in crash reports. */
export interface LeaseRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The request target as sent, query string included. */
  readonly target: string;
}

/** One request waiting for a worker of a pool. */
export interface Waiter<C = unknown> {
  /** A worker this request must not go to (a retry after that worker failed it). */
  readonly exclude: LeasedWorker | null;
  readonly connector: Connector<C>;
  /** Take a new connection rather than an idle one (a retry: the one that failed may not have been the only stale one). */
  readonly freshConnection: boolean;
  readonly request: LeaseRequest;
  /** The pool granted a worker: the lease is the waiter's until it releases it. */
  grant(lease: Lease<C>): void;
  refuse(refusal: Refusal): void;
  /**
   * Its worker sent no response head within requestTimeout (`limitMs`): answer 504 and release
   * the lease, never retrying. A waiter without it is never timed out.
   */
  timedOut?(limitMs: number): void;
  /** Workers that died with this request in hand before this lease (a retry after a death has 1). */
  readonly deathsInHand?: number;
}

/** Why the front door refused a request: the HTTP.sys reason phrases of the access log. */
export type RefusalReason = 'QueueFull' | 'AppOffline' | 'Disabled' | 'AppShutdown' | 'Connection_Abandoned_By_AppPool' | 'RequestTimeout' | 'PoisonRequest';

export interface Refusal {
  readonly reason: RefusalReason;
  /** TcpLevel: reset the connection instead of answering 503. */
  readonly reset: boolean;
}

/** Told when a lease ends (the pool: count it, maybe recycle, serve the next waiter). */
export type LeaseEnded<W extends LeaseWorker = LeaseWorker> = (worker: W, lease: Lease, outcome: LeaseOutcome) => void;

/** One request's hold on one worker. */
export class Lease<C = unknown> implements RequestInHand, HeldRequest {
  readonly #worker: LeaseWorker;
  readonly #waiter: Waiter<C>;
  readonly #ended: LeaseEnded<never>;
  /** The front door's connection to the worker, for this request only. */
  readonly connection: C;
  /** When the pool granted the worker (the pool's clock): the request limits measure from here. */
  readonly grantedAt: number;
  #tunnel = false;
  #released = false;
  #responseStarted = false;

  /** `ended` is told with `worker` itself, whichever kind of LeaseWorker it is. */
  constructor(worker: LeaseWorker, waiter: Waiter<C>, ended: LeaseEnded<never>, grantedAt = 0) {
    this.#worker = worker;
    this.#waiter = waiter;
    this.#ended = ended;
    this.grantedAt = grantedAt;
    this.connection = waiter.connector.connect(worker, waiter.freshConnection);
    worker.beginRequest(this);
  }

  /** The worker, read-only. */
  get worker(): LeasedWorker {
    return this.#worker;
  }

  get released(): boolean {
    return this.#released;
  }
  /** The request became a tunnel (101). */
  get tunnel(): boolean {
    return this.#tunnel;
  }
  /** The worker sent a response head (1xx included). */
  get responseStarted(): boolean {
    return this.#responseStarted;
  }
  /** Workers that died with this request in hand before this lease: 1 makes a death now a poison request's second. */
  get deathsBefore(): number {
    return this.#waiter.deathsInHand ?? 0;
  }

  /** The worker began to answer: requestTimeout and the blocked-request count no longer apply. */
  responseBegan(): void {
    this.#responseStarted = true;
  }

  /** requestTimeout passed without a response head: the waiter answers 504 and releases the lease. */
  expire(limitMs: number): void {
    if (this.#released) return;
    if (this.#waiter.timedOut !== undefined) this.#waiter.timedOut(limitMs);
  }

  /** "GET /path" for crash reports; the query string only where the pool's diagnostics allow it. */
  get label(): string {
    const r = this.#waiter.request;
    return `${r.method} ${this.#worker.pool.diagnostics.includeQueryStrings ? r.target : r.path}`;
  }

  /** The request became a tunnel (101): it stays on the worker, but a drain no longer waits for it. */
  upgrade(): void {
    if (this.#tunnel || this.#released) return;
    this.#tunnel = true;
    this.#worker.beginTunnel(this);
  }

  /** Ends the lease; a second call does nothing. */
  release(outcome: LeaseOutcome): void {
    if (this.#released) return;
    this.#released = true;
    this.#waiter.connector.release(this.connection, outcome);
    this.#worker.endRequest(this, outcome === 'workerDied' && !this.#tunnel ? 'abandoned' : this.#tunnel ? 'tunnelEnded' : 'ended');
    this.#ended(this.#worker as never, this as Lease, outcome);
  }
}
