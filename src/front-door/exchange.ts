/**
 * One request/response exchange between a client connection and a worker. The front door
 * forwards raw bytes and parses only the framing (heads, Content-Length, chunked), so a request
 * costs about what it costs nginx; bodies stream both ways with backpressure and are never
 * buffered whole.
 *
 * A worker that dies with the request in hand: a GET/HEAD without a body, of which nothing has
 * reached the client yet, is retried once on another worker; otherwise the client gets a 502 and
 * keeps its connection when the request was read whole (DESIGN §5). A worker that drops the
 * connection but lives on gets the retry itself, on a new connection. A worker that answers with
 * bytes that are not HTTP gets its client a 502 at once: that is an answer, not a death.
 */
import type { RequestHead, ResponseHead } from './http-parser.ts';
import { parseResponseHead, responseBodyKind } from './http-parser.ts';
import { ChunkedScanner } from './chunked.ts';
import type { UpstreamConnection, UpstreamHandler } from './upstream-pool.ts';
import type { Pool } from '../pools/pool.ts';
import type { Refusal, Waiter } from '../pools/request-queue.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';

/** What an exchange needs from its client connection. */
export interface ExchangeOwner {
  readonly forwardedFor: string;
  readonly proto: string;
  /** Writes to the client; false when the client's buffer is full. */
  write(data: Buffer | string): boolean;
  pauseClient(): void;
  resumeClient(): void;
  /** The exchange is over; `close` ends the client connection. */
  exchangeDone(close: boolean): void;
  /** The client connection must be destroyed (a response was cut off). */
  abort(): void;
  /** Tunnel mode after 101 Switching Protocols: client bytes go straight to `upstream`. */
  tunnel(upstream: UpstreamConnection): void;
  refused(exchange: Exchange, refusal: Refusal): void;
  /** Answers 502; `message` says what the worker did (default: it ended before answering). */
  badGateway(exchange: Exchange, reason: string, message?: string): void;
  onClientDrain(fn: () => void): void;
}

const enum_ = { head: 0, body: 1, done: 2 } as const;
const maxEarlyBody = 64 * 1024;
/** How long a worker that closed a connection without answering has to exit before it counts as alive. */
const verdictMs = 250;

/** A request in flight. */
export class Exchange implements Waiter, UpstreamHandler {
  readonly owner: ExchangeOwner;
  readonly pool: Pool;
  readonly head: RequestHead;
  /** The request head as it goes to the worker, X-Forwarded-* added. */
  readonly #headOut: Buffer[];
  exclude: WorkerProcess | null = null;
  worker: WorkerProcess | null = null;
  upstream: UpstreamConnection | null = null;
  readonly startedAt = Date.now();
  #attempts = 0;
  readonly #retriable: boolean;
  // request body
  #reqRemaining: number;
  readonly #reqScanner: ChunkedScanner | null;
  reqDone: boolean;
  #early: Buffer[] = [];
  #earlyBytes = 0;
  // response
  #resState: number = enum_.head;
  #resBuf: Buffer | null = null;
  #resHead: ResponseHead | null = null;
  #resKind: 'none' | 'length' | 'chunked' | 'close' = 'none';
  #resRemaining = 0;
  #resScanner: ChunkedScanner | null = null;
  sentToClient = false;
  #tunneled = false;
  /** The worker answered with bytes that are not HTTP: a 502, never a retry. */
  #malformed = false;
  finished = false;
  status = 0;

  constructor(owner: ExchangeOwner, pool: Pool, head: RequestHead, raw: Buffer) {
    this.owner = owner;
    this.pool = pool;
    this.head = head;
    this.#headOut = buildHead(head, raw, owner);
    this.#reqScanner = head.chunked ? new ChunkedScanner() : null;
    this.#reqRemaining = head.chunked ? 0 : Math.max(0, head.contentLength);
    this.reqDone = !head.chunked && this.#reqRemaining === 0;
    const m = head.method;
    this.#retriable = (m === 'GET' || m === 'HEAD') && this.reqDone && !head.upgrade;
  }

  /** Asks the pool for a worker; queued, granted now, or refused. */
  dispatch(): void {
    const r = this.pool.acquire(this);
    if (r === null) return;
    if ('reason' in r) this.refuse(r);
    else this.grant(r);
  }

  // ---- Waiter ----------------------------------------------------------------------------

  grant(worker: WorkerProcess): void {
    if (this.finished) {
      this.pool.release(worker);
      return;
    }
    this.#attempts++;
    this.worker = worker;
    worker.track(this, this.head.method, worker.pool.diagnostics.includeQueryStrings ? this.head.target : this.head.path);
    // A retry never reuses an idle connection: the one that failed may not have been the only stale one.
    const conn = worker.upstream.take(this, this.#attempts > 1);
    this.upstream = conn;
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
    if (this.finished) return;
    this.owner.refused(this, refusal);
  }

  // ---- request body ----------------------------------------------------------------------

  /**
   * Request body bytes from the client. Returns the index in `chunk` where the body ended (the
   * rest is the next pipelined request), or -1 when all of `chunk` was body; -2 on bad framing.
   */
  feedBody(chunk: Buffer, start: number): number {
    let end: number;
    if (this.#reqScanner !== null) {
      const r = this.#reqScanner.feed(chunk, start);
      if (typeof r !== 'number') return -2;
      end = r === -1 ? chunk.length : r;
      if (r !== -1) this.reqDone = true;
    } else {
      end = Math.min(chunk.length, start + this.#reqRemaining);
      this.#reqRemaining -= end - start;
      if (this.#reqRemaining === 0) this.reqDone = true;
    }
    if (end > start) {
      const part = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
      if (this.upstream !== null) {
        if (!this.upstream.socket.write(part)) this.owner.pauseClient();
      } else {
        this.#early.push(part);
        this.#earlyBytes += part.length;
        if (this.#earlyBytes >= maxEarlyBody) this.owner.pauseClient();
      }
    }
    return this.reqDone ? end : -1;
  }

  // ---- UpstreamHandler -------------------------------------------------------------------

  onUpstreamDrain(): void {
    this.owner.resumeClient();
  }

  onUpstreamData(conn: UpstreamConnection, chunk: Buffer): void {
    if (this.#resState === enum_.body) return this.#forwardBody(conn, chunk, 0, 0);
    if (this.#resState !== enum_.head) {
      // After 101 Switching Protocols the bytes belong to the new protocol: relay them.
      if (this.#tunneled && !this.owner.write(chunk)) {
        conn.socket.pause();
        this.owner.onClientDrain(() => conn.socket.resume());
      }
      return;
    }
    let buf = this.#resBuf === null ? chunk : Buffer.concat([this.#resBuf, chunk]);
    for (;;) {
      const r = parseResponseHead(buf);
      if (r.kind === 'incomplete') {
        this.#resBuf = buf;
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
      if (h.status >= 100 && h.status < 200 && h.status !== 101) {
        // 100 Continue and friends go to the client as they are; the real head follows.
        this.sentToClient = true;
        this.owner.write(buf.subarray(0, h.headLength));
        buf = buf.subarray(h.headLength);
        if (buf.length === 0) {
          this.#resBuf = null;
          return;
        }
        continue;
      }
      this.#resBuf = null;
      this.status = h.status;
      this.#resHead = h;
      this.sentToClient = true;
      if (h.status === 101 && this.head.upgrade) {
        this.#resState = enum_.done;
        this.#tunneled = true;
        this.owner.write(buf);
        this.worker!.tunnels++;
        this.owner.tunnel(conn);
        return;
      }
      this.#resKind = responseBodyKind(h, this.head.method);
      this.#resState = enum_.body;
      if (this.#resKind === 'length') this.#resRemaining = h.contentLength;
      else if (this.#resKind === 'chunked') this.#resScanner = new ChunkedScanner();
      // RFC 9112 §9.6: the client asked to close, so the front door closes after this response
      // and SHOULD say so. A worker that ignored the request's "close" did not: without the field a
      // pooling client would send its next request into a connection that is going away.
      const announceClose = !this.head.keepAlive && h.keepAlive;
      if (announceClose) this.owner.write(withConnectionClose(buf, h.headLength));
      if (this.#resKind === 'none' || (this.#resKind === 'length' && h.contentLength === 0)) {
        if (!announceClose) this.owner.write(buf.length === h.headLength ? buf : buf.subarray(0, h.headLength));
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
    if (done) {
      this.#complete(end === chunk.length);
      return;
    }
    if (!ok) {
      conn.socket.pause();
      this.owner.onClientDrain(() => conn.socket.resume());
    }
  }

  #complete(clean: boolean): void {
    this.#resState = enum_.done;
    const conn = this.upstream!;
    // A request that said "close" went to the worker as it was: the front door, the worker's
    // client, must not send another request on that connection (RFC 9112 §9.6).
    const reusable = clean && this.reqDone && this.head.keepAlive && this.#resHead!.keepAlive && this.#resKind !== 'close';
    this.upstream = null;
    conn.pool.give(conn, reusable);
    this.#finish();
    // The client's request body may still be arriving (an early answer): the connection ends.
    this.owner.exchangeDone(!this.head.keepAlive || !this.reqDone || !this.#resHead!.keepAlive);
  }

  onUpstreamClose(conn: UpstreamConnection, _error: Error | null): void {
    if (this.finished) return;
    if (this.#tunneled) {
      // A tunnel ended.
      this.worker!.tunnels--;
      this.upstream = null;
      this.#finish();
      this.owner.abort();
      return;
    }
    if (this.#resState === enum_.body && this.#resKind === 'close') {
      // A close-delimited body ends with the connection; so must the client's.
      this.upstream = null;
      this.#finish();
      this.owner.exchangeDone(true);
      return;
    }
    this.#fail(conn);
  }

  /** The worker's side broke before the response was complete. */
  #fail(conn: UpstreamConnection): void {
    this.upstream = null;
    if (!conn.closed) conn.socket.destroy();
    const worker = this.worker!;
    this.worker = null;
    worker.untrack(this, true);
    this.pool.release(worker);
    if (this.sentToClient) {
      this.finished = true;
      this.owner.abort();
      return;
    }
    if (this.#retriable && this.#attempts < 2 && !this.#malformed) {
      // Safe to repeat and nothing reached the client: try once more.
      this.#resState = enum_.head;
      this.#resBuf = null;
      this.#retryOnVerdict(worker);
      return;
    }
    this.finished = true;
    this.pool.countRefusal('Connection_Abandoned_By_AppPool');
    this.owner.badGateway(this, 'Connection_Abandoned_By_AppPool', this.#malformed ? 'answered with a response that is not valid HTTP' : undefined);
  }

  /**
   * Retries once the closed connection's cause is known. A worker that died is excluded, so the
   * retry goes to another worker or waits for the replacement. A worker that lives on dropped the
   * connection (a keep-alive race, or an app that closes without answering) and may take the retry
   * itself: excluding it would leave the request queued for good in a pool of one. A dying worker's
   * exit follows its closed sockets within milliseconds, so one still ready after `verdictMs` is
   * taken to be alive.
   */
  #retryOnVerdict(worker: WorkerProcess): void {
    if (worker.exitFacts !== null || worker.state !== 'ready' || worker.hung) {
      this.exclude = worker;
      this.dispatch();
      return;
    }
    whenExitedOr(worker, verdictMs, () => {
      if (this.finished) return; // the client left meanwhile
      this.exclude = worker.exitFacts === null && worker.state === 'ready' ? null : worker;
      this.dispatch();
    });
  }

  #finish(): void {
    if (this.finished) return;
    this.finished = true;
    const w = this.worker;
    this.worker = null;
    if (w !== null) {
      w.untrack(this, false);
      this.pool.release(w);
    }
  }

  /** The client went away: give up the queue place or the worker connection. */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.worker === null) {
      this.pool.cancel(this);
      return;
    }
    const conn = this.upstream;
    this.upstream = null;
    conn?.socket.destroy();
    const w = this.worker;
    this.worker = null;
    if (this.#tunneled) w.tunnels--;
    w.untrack(this, false);
    this.pool.release(w);
  }
}

/** Callbacks waiting for a worker's exit, by worker: one 'exit' listener however many wait. */
const exitWaiters = new WeakMap<WorkerProcess, Set<() => void>>();

/** Calls `fn` once: when `worker` exits or after `ms`, whichever comes first. */
function whenExitedOr(worker: WorkerProcess, ms: number, fn: () => void): void {
  let waiting = exitWaiters.get(worker);
  if (waiting === undefined) {
    const all = new Set<() => void>();
    waiting = all;
    exitWaiters.set(worker, all);
    worker.once('exit', () => {
      exitWaiters.delete(worker);
      for (const run of [...all]) run();
    });
  }
  const set = waiting;
  const run = (): void => {
    if (!set.delete(run)) return;
    clearTimeout(timer);
    fn();
  };
  const timer = setTimeout(run, ms);
  set.add(run);
}

/** A response head (`headLength` bytes of `buf`, ending in CRLFCRLF) with `Connection: close` added. */
function withConnectionClose(buf: Buffer, headLength: number): Buffer {
  return Buffer.concat([buf.subarray(0, headLength - 2), CONNECTION_CLOSE]);
}

const CONNECTION_CLOSE = Buffer.from('Connection: close\r\n\r\n', 'latin1');

/** The head sent to the worker: the client's, plus X-Forwarded-For/-Proto/-Host. */
function buildHead(head: RequestHead, raw: Buffer, owner: ExchangeOwner): Buffer[] {
  const host = head.hostRaw ?? '';
  const extra = `X-Forwarded-For: ${owner.forwardedFor}\r\nX-Forwarded-Proto: ${owner.proto}\r\nX-Forwarded-Host: ${host}\r\n\r\n`;
  if (!head.hasForwardedHeaders) {
    // An X-Forwarded-For from the client stays: a second field line appends to the list (RFC 9110 §5.3).
    // One buffer, so the head goes out in one write(2) rather than a writev of two parts.
    const start = head.headStart;
    const end = head.headLength - 2;
    const out = Buffer.allocUnsafe(end - start + extra.length);
    raw.copy(out, 0, start, end);
    out.write(extra, end - start, 'latin1');
    return [out];
  }
  // The client may not claim a scheme or host on the front door's behalf: drop its lines.
  const lines = raw.toString('latin1', head.requestLineEnd, head.headLength - 2).split('\r\n');
  const kept = lines.filter((l) => {
    const name = l.slice(0, l.indexOf(':')).toLowerCase();
    return name !== 'x-forwarded-proto' && name !== 'x-forwarded-host';
  });
  return [raw.subarray(head.headStart, head.requestLineEnd), Buffer.from(kept.join('\r\n') + extra, 'latin1')];
}
