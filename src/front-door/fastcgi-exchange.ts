/**
 * One request/response exchange between a client connection and a FastCGI worker (php-cgi), the
 * FastCGI variant of exchange.ts behind the same ClientExchange contract. The HTTP request becomes
 * FCGI_BEGIN_REQUEST (responder role, FCGI_KEEP_CONN), the CGI variables as FCGI_PARAMS and the
 * body as FCGI_STDIN; FCGI_STDOUT comes back as the HTTP answer, FCGI_STDERR goes to the pool's
 * output log, FCGI_END_REQUEST ends it (fastcgi-session.ts). Bodies stream both ways with
 * backpressure and are never held whole: a full worker socket pauses the client, a full client
 * socket pauses the worker.
 *
 * Failures are met as for HTTP pools (DESIGN §5): a GET/HEAD without a body of which nothing reached
 * the client is retried once on another worker when its worker dies; otherwise a 502, the client
 * connection kept when the request was read whole. An answer that is not FastCGI or not a CGI head
 * is a 502 at once, never a retry. As over HTTP (exchange.ts): no response within requestTimeout
 * is a 504, never retried, and a request in hand at two worker deaths is a poison request (502).
 */
import type { Socket } from 'node:net';
import type { RequestHead } from './http-parser.ts';
import type { UpstreamConnection, UpstreamHandler } from './upstream-pool.ts';
import type { PoolDoor } from '../pools/pool-door.ts';
import type { Lease, LeasedWorker, LeaseOutcome, Refusal, Waiter } from '../pools/lease.ts';
import { BODY_MORE, type BodyFeed, type ClientExchange, type ExchangeOwner } from './exchange-owner.ts';
import { Observation } from './request-observation.ts';
import { diedWith, whenExitedOr } from './worker-verdict.ts';
import { buildCgiParams, type CgiConnectionFacts, type CgiParamsResult } from './cgi-params.ts';
import { FastCgiSession } from './fastcgi-session.ts';
import type { MountedApp } from './forwarded-prefix.ts';

const maxEarlyBody = 64 * 1024;
/** Parts of an answer up to this size are copied into one write to the client. */
const coalesceBytes = 16 * 1024;
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** What CGI says of the client connection (REMOTE_ADDR, SERVER_PORT, HTTPS…), read only for FastCGI requests. */
function connectionFacts(owner: ExchangeOwner): CgiConnectionFacts {
  const s: Socket = owner.socket;
  const local = s.localAddress ?? '';
  return {
    remoteAddress: owner.forwardedFor,
    remotePort: s.remotePort ?? 0,
    serverAddress: local.startsWith('::ffff:') ? local.slice(7) : local,
    serverPort: s.localPort ?? 0,
    https: owner.proto === 'https',
  };
}

/** A request in flight to a FastCGI worker. */
export class FastCgiExchange implements ClientExchange, Waiter<UpstreamConnection>, UpstreamHandler {
  readonly owner: ExchangeOwner;
  readonly pool: PoolDoor;
  readonly head: RequestHead;
  readonly raw: Buffer;
  readonly observation = new Observation();
  readonly startedAt = Date.now();
  exclude: LeasedWorker | null = null;
  readonly #params: CgiParamsResult;
  readonly #retriable: boolean;
  readonly #hasBody: boolean;
  #lease: Lease<UpstreamConnection> | null = null;
  #session: FastCgiSession | null = null;
  #workerId: string | null = null;
  #attempts = 0;
  /** Workers that died (or hung) with this request in hand. */
  #deaths = 0;
  #reqRemaining: number;
  #reqDone: boolean;
  /** The empty FCGI_STDIN that ends the body has gone to the worker. */
  #stdinEnded = false;
  #early: Buffer[] = [];
  #earlyBytes = 0;
  #sentToClient = false;
  #continued = false;
  /** The connection of this attempt reached the worker (a kept one did long ago). */
  #connected = false;
  /** Why the worker's answer cannot be relayed: a 502, never a retry. */
  #malformed: string | null = null;
  #finished = false;
  #status = 0;

  constructor(owner: ExchangeOwner, pool: PoolDoor, head: RequestHead, raw: Buffer, app: MountedApp | null = null) {
    this.owner = owner;
    this.pool = pool;
    this.head = head;
    this.raw = raw;
    this.#params = buildCgiParams(head, raw, connectionFacts(owner), pool.config.documentRoot, app?.stripPrefix === true ? app.path : null);
    this.#reqRemaining = head.chunked ? 0 : Math.max(0, head.contentLength);
    this.#hasBody = this.#reqRemaining > 0;
    // A chunked body is refused (411); until the answer its bytes are only counted as unread.
    this.#reqDone = !head.chunked && !this.#hasBody;
    const m = head.method;
    this.#retriable = (m === 'GET' || m === 'HEAD') && this.#reqDone;
  }

  get reqDone(): boolean {
    return this.#reqDone;
  }
  get sentToClient(): boolean {
    return this.#sentToClient;
  }
  get finished(): boolean {
    return this.#finished;
  }
  get status(): number {
    return this.#status;
  }
  get workerId(): string | null {
    return this.#workerId;
  }

  // ---- Waiter ----------------------------------------------------------------------------

  get connector(): ExchangeOwner['fastcgiUpstreams'] {
    return this.owner.fastcgiUpstreams;
  }
  /** A retry never reuses a kept connection: the one that failed may not have been the only stale one. */
  get freshConnection(): boolean {
    return this.#attempts > 0;
  }
  get request(): RequestHead {
    return this.head;
  }
  get deathsInHand(): number {
    return this.#deaths;
  }

  /** No response within requestTimeout: 504, the worker's connection closed, no retry. */
  timedOut(limitMs: number): void {
    if (this.#finished || this.#lease === null || this.#sentToClient) return;
    this.#finished = true;
    this.#release('timedOut');
    this.#session = null;
    this.pool.countRefusal('RequestTimeout');
    this.owner.gatewayTimeout(this, limitMs);
  }

  /** Asks the pool for a worker, unless the path names no script (the front door answers itself). */
  dispatch(): void {
    const p = this.#params;
    if (p.kind === 'refused') {
      this.#finished = true;
      this.owner.answer(this, p.status, p.reason, p.message);
      return;
    }
    const r = this.pool.acquire(this);
    if (r === null) return;
    if ('reason' in r) this.refuse(r);
    else this.grant(r);
  }

  grant(lease: Lease<UpstreamConnection>): void {
    if (this.#finished || this.#params.kind !== 'ok') {
      lease.release('clientGone');
      return;
    }
    this.#attempts++;
    this.#lease = lease;
    const workerId = lease.worker.id;
    this.#workerId = workerId;
    this.observation.granted(workerId);
    const session = new FastCgiSession(
      { method: this.head.method, versionMinor: this.head.versionMinor, keepAlive: this.head.keepAlive && !this.owner.closing },
      (data) => this.pool.applicationStderr(workerId, data),
    );
    this.#session = session;
    const conn = lease.connection;
    conn.handler = this;
    const s = conn.socket;
    this.#connected = !s.connecting;
    if (s.connecting) s.once('connect', () => (this.#connected = lease === this.#lease));
    s.cork();
    s.write(session.begin(this.#params.params, this.#hasBody));
    for (const part of this.#early) for (const b of session.stdin(part)) s.write(b);
    if (this.#hasBody && this.#reqDone) this.#endStdin(s);
    s.uncork();
    this.#early = [];
    this.#earlyBytes = 0;
    // The host answers Expect: 100-continue once a worker takes the request (docs/php.md).
    if (this.head.expectContinue && !this.#reqDone && !this.#continued && this.head.versionMinor === 1) {
      this.#continued = true;
      this.owner.write(CONTINUE);
    }
    this.owner.resumeClient();
  }

  refuse(refusal: Refusal): void {
    if (this.#finished) return;
    this.#finished = true;
    this.owner.refused(this, refusal);
  }

  // ---- request body ----------------------------------------------------------------------

  #endStdin(s: Socket): boolean {
    this.#stdinEnded = true;
    return s.write(this.#session!.endStdin());
  }

  /** Request body bytes from the client, from `start` in `chunk`, as FCGI_STDIN records. */
  feedBody(chunk: Buffer, start: number): BodyFeed {
    if (this.head.chunked) return BODY_MORE; // refused with 411 before any of it goes anywhere
    const end = Math.min(chunk.length, start + this.#reqRemaining);
    this.#reqRemaining -= end - start;
    if (this.#reqRemaining === 0) this.#reqDone = true;
    if (end > start && !this.#finished) {
      const part = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
      const lease = this.#lease;
      if (lease !== null && this.#session !== null) {
        const s = lease.connection.socket;
        let ok = true;
        s.cork();
        for (const b of this.#session.stdin(part)) ok = s.write(b);
        if (this.#reqDone) ok = this.#endStdin(s) && ok;
        s.uncork();
        if (!ok) this.owner.pauseClient();
      } else {
        this.#early.push(part);
        this.#earlyBytes += part.length;
        if (this.#earlyBytes >= maxEarlyBody) this.owner.pauseClient();
      }
    }
    return this.#reqDone ? { kind: 'ended', next: end } : BODY_MORE;
  }

  // ---- UpstreamHandler -------------------------------------------------------------------

  onUpstreamDrain(): void {
    this.owner.resumeClient();
  }

  onUpstreamData(conn: UpstreamConnection, chunk: Buffer): void {
    const session = this.#session;
    if (this.#finished || session === null) return;
    const r = session.read(chunk);
    const ok = this.#toClient(r.out);
    if (r.out.length > 0 && !this.#sentToClient) {
      this.#lease?.responseBegan();
      this.#sentToClient = true;
      this.#lease?.responseBegan();
      this.#status = session.response.status;
      this.observation.firstByte();
    }
    if (r.kind === 'error') {
      // The worker is alive and answered, badly: the same request would get the same answer.
      this.#malformed = r.message;
      conn.socket.destroy();
      return;
    }
    if (r.kind === 'ended') {
      this.#complete();
      return;
    }
    if (!ok) {
      conn.socket.pause();
      this.owner.onClientDrain(() => conn.socket.resume());
    }
  }

  /**
   * Writes the parts of an answer to the client; false when its buffer is full. A head and a small
   * body go as one write: each write is a system call, and most PHP pages fit in one.
   */
  #toClient(out: readonly Buffer[]): boolean {
    if (out.length === 0) return true;
    if (out.length === 1) return this.owner.write(out[0]);
    let bytes = 0;
    for (const b of out) bytes += b.length;
    if (bytes <= coalesceBytes) return this.owner.write(Buffer.concat(out as Buffer[], bytes));
    let ok = true;
    for (const b of out) ok = this.owner.write(b) && ok;
    return ok;
  }

  #release(outcome: LeaseOutcome): void {
    const lease = this.#lease;
    this.#lease = null;
    lease?.release(outcome);
  }

  #complete(): void {
    const response = this.#session!.response;
    this.#finished = true;
    // The connection carries the next request only when this one's records went out whole, both ways.
    this.#release(this.#stdinEnded || !this.#hasBody ? 'completed' : 'completedClose');
    // The client's body may still be arriving (an early answer): the connection ends.
    this.owner.exchangeDone(this, !response.keepClient || !this.#reqDone || this.owner.closing);
  }

  onUpstreamClose(_conn: UpstreamConnection, _error: Error | null): void {
    if (this.#finished) return;
    this.#fail();
  }

  /** The worker's side broke (or answered what cannot be relayed) before the response was whole. */
  #fail(): void {
    const worker = this.#lease!.worker;
    this.#release('workerDied');
    this.#session = null;
    if (this.#sentToClient) {
      this.#finished = true;
      this.owner.abort(this);
      return;
    }
    // A request without a body whose connection never reached the worker (a php-cgi that just
    // died: its socket refuses) was delivered to no one: any method is repeated then.
    const undelivered = !this.#connected && !this.#hasBody;
    if ((this.#retriable || undelivered) && this.#attempts < 2 && this.#malformed === null) {
      this.#retryOnVerdict(worker);
      return;
    }
    if (this.#deaths > 0 && this.#malformed === null) {
      // It was retried after a death: if this worker died too, the request is the cause.
      whenExitedOr(worker, 250, () => this.#gaveUp(diedWith(worker)));
      return;
    }
    this.#gaveUp(false);
  }

  /** The request is answered 502: its worker failed it and it is not tried again. */
  #gaveUp(poison: boolean): void {
    if (this.#finished) return; // the client left meanwhile
    this.#finished = true;
    if (poison) this.#deaths++;
    const reason = poison ? 'PoisonRequest' : 'Connection_Abandoned_By_AppPool';
    this.pool.countRefusal(reason);
    const message = poison
      ? `ended before answering this request, as the worker before it did: it was in hand at ${this.#deaths} worker deaths and is not tried again`
      : this.#malformed === null ? undefined : `answered with a response that cannot be relayed (${this.#malformed})`;
    this.owner.badGateway(this, reason, message);
  }

  /** As exchange.ts: a worker that died is excluded from the retry; one that lives on may take it. */
  #retryOnVerdict(worker: LeasedWorker): void {
    if (worker.exitFacts !== null || worker.state !== 'ready' || worker.hung) {
      if (diedWith(worker)) this.#deaths++;
      this.exclude = worker;
      this.dispatch();
      return;
    }
    whenExitedOr(worker, 250, () => {
      if (this.#finished) return;
      if (diedWith(worker)) this.#deaths++;
      this.exclude = worker.exitFacts === null && worker.state === 'ready' ? null : worker;
      this.dispatch();
    });
  }

  /** The client went away: give up the queue place or the lease. */
  abandon(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#lease === null) {
      this.pool.cancel(this);
      return;
    }
    this.#release('clientGone');
  }
}
