/**
 * One request/response exchange between a client connection and a worker, over HTTP/1.1. The
 * front door forwards raw bytes and parses only the framing (heads, Content-Length, chunked), so
 * a request costs about what it costs nginx; bodies stream both ways with backpressure and are
 * never buffered whole. The exchange talks to its lease alone: the lease holds the worker and the
 * connection, and one `release(outcome)` gives both back.
 *
 * A worker whose side breaks before the answer is complete: exchange-retry.ts says what follows.
 * A worker that sends no response head within requestTimeout gets its client a 504, and the
 * request is not retried: the app is slow, it did not crash.
 */
import type { RequestHead, ResponseHead } from './http-parser.ts';
import { parseResponseHead, responseBodyKind } from './http-parser.ts';
import { ChunkedScanner } from './chunked.ts';
import type { UpstreamConnection, UpstreamHandler } from './upstream-pool.ts';
import type { PoolDoor } from '../pools/pool-door.ts';
import type { Lease, LeasedWorker, LeaseOutcome, Refusal, Waiter } from '../pools/lease.ts';
import { buildForwardedHead } from './forwarded-head.ts';
import type { MountedApp } from './forwarded-prefix.ts';
import { BODY_BAD_FRAMING, BODY_MORE, type BodyFeed, type ClientExchange, type ExchangeOwner } from './exchange-owner.ts';
import { Observation } from './request-observation.ts';
import { isOutOfFiles } from './open-files.ts';
import { diedWith, whenExitedOr } from './worker-verdict.ts';
import { excludedAfterVerdict, failureCourse, gaveUpMessage, gaveUpReason, knownGone, verdictMs } from './exchange-retry.ts';
import { closeToAnnounce, withConnectionClose } from './answer-head.ts';

/** Where the response is: its head being read, its body relayed, a tunnel after 101, or over. */
type ResponseStage = 'head' | 'body' | 'tunnel' | 'done';

const maxEarlyBody = 64 * 1024;

/** A request in flight. */
export class Exchange implements ClientExchange, Waiter<UpstreamConnection>, UpstreamHandler {
  readonly owner: ExchangeOwner;
  readonly pool: PoolDoor;
  readonly head: RequestHead;
  readonly raw: Buffer;
  readonly observation = new Observation();
  /** The request head as it goes to the worker, X-Forwarded-* added. */
  readonly #headOut: Buffer[];
  exclude: LeasedWorker | null = null;
  #lease: Lease<UpstreamConnection> | null = null;
  #workerId: string | null = null;
  readonly startedAt = Date.now();
  #attempts = 0;
  /** Workers that died (or hung) with this request in hand. */
  #deaths = 0;
  readonly #retriable: boolean;
  // request body
  #reqRemaining: number;
  readonly #reqScanner: ChunkedScanner | null;
  #reqDone: boolean;
  #early: Buffer[] = [];
  #earlyBytes = 0;
  // response
  #stage: ResponseStage = 'head';
  #resBuf: Buffer | null = null;
  #resHead: ResponseHead | null = null;
  #resKind: 'none' | 'length' | 'chunked' | 'close' = 'none';
  #resRemaining = 0;
  #resScanner: ChunkedScanner | null = null;
  #sentToClient = false;
  /** The answer said `Connection: close` on the front door's behalf: the client connection ends after it. */
  #closeAfter = false;
  /** The worker answered with bytes that are not HTTP: a 502, never a retry. */
  #malformed = false;
  #finished = false;
  #status = 0;

  constructor(owner: ExchangeOwner, pool: PoolDoor, head: RequestHead, raw: Buffer, app: MountedApp | null = null) {
    this.owner = owner;
    this.pool = pool;
    this.head = head;
    this.raw = raw;
    this.#headOut = buildForwardedHead(head, raw, owner, app);
    this.#reqScanner = head.chunked ? new ChunkedScanner() : null;
    this.#reqRemaining = head.chunked ? 0 : Math.max(0, head.contentLength);
    this.#reqDone = !head.chunked && this.#reqRemaining === 0;
    const m = head.method;
    this.#retriable = (m === 'GET' || m === 'HEAD') && this.#reqDone && !head.upgrade;
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

  get connector(): ExchangeOwner['upstreams'] {
    return this.owner.upstreams;
  }
  /** A retry never reuses an idle connection: the one that failed may not have been the only stale one. */
  get freshConnection(): boolean {
    return this.#attempts > 0;
  }
  get request(): RequestHead {
    return this.head;
  }
  get deathsInHand(): number {
    return this.#deaths;
  }

  /** No response head within requestTimeout: 504, the worker's connection closed, no retry. */
  timedOut(limitMs: number): void {
    if (this.#finished || this.#lease === null || this.#stage !== 'head') return;
    this.#finished = true;
    this.#release('timedOut');
    this.pool.countRefusal('RequestTimeout');
    this.owner.gatewayTimeout(this, limitMs);
  }

  /** Asks the pool for a worker; granted now, queued, or refused. */
  dispatch(): void {
    const r = this.pool.acquire(this);
    if (r === null) return;
    if ('reason' in r) this.refuse(r);
    else this.grant(r);
  }

  grant(lease: Lease<UpstreamConnection>): void {
    if (this.#finished) {
      lease.release('clientGone');
      return;
    }
    this.#attempts++;
    this.#lease = lease;
    this.#workerId = lease.worker.id;
    this.observation.granted(lease.worker.id);
    const conn = lease.connection;
    conn.handler = this;
    const s = conn.socket;
    s.cork();
    for (const part of this.#headOut) s.write(part);
    for (const part of this.#early) s.write(part);
    s.uncork();
    this.#early = [];
    this.#earlyBytes = 0;
    this.owner.resumeClient();
  }

  refuse(refusal: Refusal): void {
    if (this.#finished) return;
    this.#finished = true;
    this.owner.refused(this, refusal);
  }

  // ---- request body ----------------------------------------------------------------------

  /** Request body bytes from the client, from `start` in `chunk`: more to come, ended (and where), or bad framing. */
  feedBody(chunk: Buffer, start: number): BodyFeed {
    let end: number;
    if (this.#reqScanner !== null) {
      const r = this.#reqScanner.feed(chunk, start);
      if (typeof r !== 'number') return BODY_BAD_FRAMING;
      end = r === -1 ? chunk.length : r;
      if (r !== -1) this.#reqDone = true;
    } else {
      end = Math.min(chunk.length, start + this.#reqRemaining);
      this.#reqRemaining -= end - start;
      if (this.#reqRemaining === 0) this.#reqDone = true;
    }
    if (end > start) {
      const part = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
      if (this.#lease !== null) {
        if (!this.#lease.connection.socket.write(part)) this.owner.pauseClient();
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
    if (this.#stage === 'body') return this.#forwardBody(conn, chunk, 0, 0);
    if (this.#stage === 'tunnel') {
      // After 101 Switching Protocols the bytes belong to the new protocol: relay them.
      const ok = this.owner.write(chunk);
      this.#keepIfQueued(conn);
      if (!ok) {
        conn.socket.pause();
        this.owner.onClientDrain(() => conn.socket.resume());
      }
      return;
    }
    if (this.#stage !== 'head') return;
    let buf = this.#resBuf === null ? chunk : Buffer.concat([this.#resBuf, chunk]);
    for (;;) {
      const r = parseResponseHead(buf);
      if (r.kind === 'incomplete') {
        // The connection's read buffer is lent: a head in pieces is kept as a copy.
        this.#resBuf = buf.buffer === chunk.buffer ? Buffer.from(buf) : buf;
        return;
      }
      if (r.kind === 'error') {
        // The worker is alive and answered, badly: the same request would likely get the same
        // answer, so it is not repeated (nginx's proxy_next_upstream leaves out invalid_header
        // by default too). onUpstreamClose answers 502.
        this.#resBuf = null;
        this.#malformed = true;
        conn.socket.destroy();
        return;
      }
      const h = r.head;
      this.#lease?.responseBegan();
      if (h.status >= 100 && h.status < 200 && h.status !== 101) {
        // 100 Continue and friends go to the client as they are; the real head follows.
        this.observation.firstByte();
        this.#sentToClient = true;
        this.owner.write(buf.subarray(0, h.headLength));
        this.#keepIfQueued(conn);
        buf = buf.subarray(h.headLength);
        if (buf.length === 0) {
          this.#resBuf = null;
          return;
        }
        continue;
      }
      this.#resBuf = null;
      this.#status = h.status;
      this.#resHead = h;
      this.observation.firstByte();
      this.#sentToClient = true;
      if (h.status === 101 && this.head.upgrade) {
        this.#stage = 'tunnel';
        this.owner.write(buf);
        this.#keepIfQueued(conn);
        this.#lease!.upgrade();
        this.owner.tunnel(conn);
        return;
      }
      this.#resKind = responseBodyKind(h, this.head.method);
      this.#stage = 'body';
      if (this.#resKind === 'length') this.#resRemaining = h.contentLength;
      else if (this.#resKind === 'chunked') this.#resScanner = new ChunkedScanner();
      const announceClose = closeToAnnounce(this.head, h, this.owner.closing);
      this.#closeAfter = announceClose;
      if (announceClose) this.owner.write(withConnectionClose(buf, h.headLength));
      if (this.#resKind === 'none' || (this.#resKind === 'length' && h.contentLength === 0)) {
        if (!announceClose) this.owner.write(buf.length === h.headLength ? buf : buf.subarray(0, h.headLength));
        this.#keepIfQueued(conn);
        this.#complete(buf.length === h.headLength);
        return;
      }
      this.#forwardBody(conn, buf, h.headLength, announceClose ? h.headLength : 0);
      return;
    }
  }

  /**
   * Forwards response bytes: the body starts at `bodyStart` in `chunk`, and everything from
   * `writeFrom` (0 when the head is still in `chunk`) up to the body's end goes to the client.
   */
  #forwardBody(conn: UpstreamConnection, chunk: Buffer, bodyStart: number, writeFrom: number): void {
    let end = chunk.length;
    let done = false;
    if (this.#resKind === 'length') {
      const body = chunk.length - bodyStart;
      if (body >= this.#resRemaining) {
        end = bodyStart + this.#resRemaining;
        this.#resRemaining = 0;
        done = true;
      } else {
        this.#resRemaining -= body;
      }
    } else if (this.#resKind === 'chunked') {
      const r = this.#resScanner!.feed(chunk, bodyStart);
      if (typeof r !== 'number') {
        // The worker broke chunked framing: the client's response cannot be completed.
        this.#fail(conn);
        return;
      }
      if (r !== -1) {
        end = r;
        done = true;
      }
    }
    const ok = this.owner.write(writeFrom === 0 && end === chunk.length ? chunk : chunk.subarray(writeFrom, end));
    this.#keepIfQueued(conn);
    if (done) {
      this.#complete(end === chunk.length);
      return;
    }
    if (!ok) {
      conn.socket.pause();
      this.owner.onClientDrain(() => conn.socket.resume());
    }
  }

  /**
   * The bytes of `conn`'s read buffer just written to the client are still queued there (the
   * client's kernel buffer did not take them at once): the connection reads into a new buffer.
   */
  #keepIfQueued(conn: UpstreamConnection): void {
    if (this.owner.buffered > 0) conn.detachBuffer();
  }

  /** Gives the lease back, once; the exchange keeps nothing of it. */
  #release(outcome: LeaseOutcome): void {
    const lease = this.#lease;
    this.#lease = null;
    lease?.release(outcome);
  }

  #complete(clean: boolean): void {
    this.#stage = 'done';
    // A request that said "close" went to the worker as it was: the front door, the worker's
    // client, must not send another request on that connection (RFC 9112 §9.6).
    const reusable = clean && this.#reqDone && this.head.keepAlive && this.#resHead!.keepAlive && this.#resKind !== 'close';
    this.#finished = true;
    this.#release(reusable ? 'completed' : 'completedClose');
    // The client's request body may still be arriving (an early answer): the connection ends.
    this.owner.exchangeDone(this, !this.head.keepAlive || !this.#reqDone || !this.#resHead!.keepAlive || this.#closeAfter);
  }

  onUpstreamClose(conn: UpstreamConnection, error: Error | null): void {
    if (this.#finished) return;
    if (this.#stage === 'head' && !this.#sentToClient && isOutOfFiles(error)) {
      // The connection to the worker could not even be made: the host is out of descriptors. That
      // is the host's failure, not the worker's: no retry, no abandoned request, no 502.
      this.#finished = true;
      this.#release('clientGone');
      this.owner.outOfFiles(this, error);
      return;
    }
    if (this.#stage === 'tunnel') {
      // A tunnel ended.
      this.#finished = true;
      this.#release('upgraded');
      this.owner.abort(this);
      return;
    }
    if (this.#stage === 'body' && this.#resKind === 'close') {
      // A close-delimited body ends with the connection; so must the client's.
      this.#stage = 'done';
      this.#finished = true;
      this.#release('completedClose');
      this.owner.exchangeDone(this, true);
      return;
    }
    this.#fail(conn);
  }

  /** The worker's side broke before the response was complete. */
  #fail(_conn: UpstreamConnection): void {
    const worker = this.#lease!.worker;
    this.#release('workerDied');
    const course = failureCourse(this.#sentToClient, this.#retriable, this.#attempts, this.#malformed, this.#deaths);
    if (course === 'cutOff') {
      this.#finished = true;
      this.owner.abort(this);
    } else if (course === 'retry') {
      this.#stage = 'head';
      this.#resBuf = null;
      this.#retryOnVerdict(worker);
    } else if (course === 'verdict') {
      whenExitedOr(worker, verdictMs, () => this.#gaveUp(diedWith(worker)));
    } else {
      this.#gaveUp(false);
    }
  }

  /** The request is answered 502: its worker failed it and it is not tried again. */
  #gaveUp(poison: boolean): void {
    if (this.#finished) return; // the client left meanwhile
    this.#finished = true;
    if (poison) this.#deaths++;
    const reason = gaveUpReason(poison);
    this.pool.countRefusal(reason);
    this.owner.badGateway(this, reason, gaveUpMessage(poison, this.#deaths, this.#malformed));
  }

  /** Retries once the closed connection's cause is known; a worker that died is excluded (exchange-retry.ts). */
  #retryOnVerdict(worker: LeasedWorker): void {
    if (knownGone(worker)) {
      if (diedWith(worker)) this.#deaths++;
      this.exclude = worker;
      this.dispatch();
      return;
    }
    whenExitedOr(worker, verdictMs, () => {
      if (this.#finished) return; // the client left meanwhile
      if (diedWith(worker)) this.#deaths++;
      this.exclude = excludedAfterVerdict(worker);
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
    this.#release(this.#stage === 'tunnel' ? 'upgraded' : 'clientGone');
  }
}
