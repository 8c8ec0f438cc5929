/**
 * One client connection at the front door. It reads request heads, routes them, runs one
 * exchange at a time (pipelined requests wait their turn), and stays open whatever a worker
 * does: a crash costs at most the request in hand, never the connection. Every request, whichever
 * way it ends, ends in #ended: the access log and the front door's request hook are told there.
 */
import type { Socket } from 'node:net';
import { parseRequestHead } from './http-parser.ts';
import type { BodyFeed, ClientExchange, ExchangeOwner } from './exchange-owner.ts';
import { openExchange } from './upstream-protocols.ts';
import type { UpstreamConnection } from './upstream-pool.ts';
import type { Upstreams } from './upstreams.ts';
import type { FastCgiUpstreams } from './fastcgi-upstreams.ts';
import type { Refusal } from '../pools/lease.ts';
import { cannedResponse } from './responses.ts';
import type { FrontDoorContext } from './front-door-context.ts';
import type { RequestHead } from './http-parser.ts';
import type { RequestEnding } from './request-record.ts';
import { endedRecord } from './request-observation.ts';
import { BodyClock, type BodyProgress, type BodyReader } from './body-watch.ts';
import { answerHighWater, ClientFlow, maxPending } from './client-flow.ts';
import { HeadWait } from './head-wait.ts';
import { FirstRequestWait } from './first-request-wait.ts';
import { resetConnection, sendNotFound, sendOwnAnswer } from './own-answers.ts';

/** A client connection and its current exchange. */
export class ClientConnection implements ExchangeOwner, BodyReader {
  readonly socket: Socket;
  readonly forwardedFor: string;
  readonly proto: string;
  readonly #ctx: FrontDoorContext;
  #pending: Buffer | null = null;
  #exchange: ClientExchange | null = null;
  #tunnel: UpstreamConnection | null = null;
  #closed = false;
  readonly #flow: ClientFlow;
  /** Made at the first head that arrives in pieces (head-wait.ts). */
  #headWait: HeadWait | null = null;
  /** #next is running: a call from within it (a refusal answered at once) only asks for another turn. */
  #inNext = false;
  #nextAgain = false;
  /** The client half-closed: once every request it sent is answered, the connection ends. */
  #clientEnded = false;
  /** Requests taken from this connection so far (answered by a worker or by the front door). */
  #taken = 0;
  /** The host is stopping: no keep-alive past the exchange in hand (quiesce). */
  #quiescing = false;
  /** Made at host stop while the first request may be on its way (first-request-wait.ts). */
  #firstRequest: FirstRequestWait | null = null;
  /** The EntityBody timer's clock while a request body is on its way (body-watch.ts). */
  #body: BodyClock | null = null;

  constructor(socket: Socket, ctx: FrontDoorContext, proto: string) {
    this.socket = socket;
    this.#ctx = ctx;
    this.proto = proto;
    this.#flow = new ClientFlow(socket);
    const addr = socket.remoteAddress ?? '';
    this.forwardedFor = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
    socket.setNoDelay(true);
    socket.setTimeout(ctx.limits.connectionTimeout);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#onData(chunk);
      } catch (err) {
        this.#internalError(err as Error);
      }
    });
    socket.on('drain', () => this.#onDrain());
    socket.on('timeout', () => {
      if (this.#exchange === null && this.#tunnel === null) socket.destroy();
    });
    socket.on('error', () => this.#onClose());
    socket.on('close', () => this.#onClose());
    socket.on('end', () => {
      // The client half-closed. Requests it already sent are still answered, in order; then we are done.
      this.#clientEnded = true;
      this.#endIfDone();
    });
  }

  get upstreams(): Upstreams {
    return this.#ctx.upstreams;
  }

  get fastcgiUpstreams(): FastCgiUpstreams {
    return this.#ctx.fastcgiUpstreams;
  }

  // ---- the one place a request ends ----------------------------------------------------------

  /**
   * Every request ends here once: its record goes to the access log (every request, IIS W3C and
   * HTTPERR in one; its batch also feeds /metrics), then to the hook. `head` and `raw` are null
   * when no head could be read (400, 408).
   */
  #ended(ex: ClientExchange | null, head: RequestHead | null, raw: Buffer | null, status: number, reason: string | null, ending: RequestEnding): void {
    const r = endedRecord(this, ex, head, raw, status, reason, ending);
    this.#ctx.accessLog.record(r);
    this.#ctx.onRequestEnd?.(r);
  }

  #exchangeEnded(ex: ClientExchange, status: number, reason: string | null, ending: RequestEnding): void {
    this.#ended(ex, ex.head, ex.raw, status, reason, ending);
  }

  // ---- reading requests --------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#tunnel !== null) {
      if (!this.#tunnel.socket.write(chunk)) this.pauseClient();
      return;
    }
    const ex = this.#exchange;
    if (ex !== null && !ex.reqDone) {
      if (this.#body !== null) this.#body.moved = true;
      this.#fedBody(ex, chunk, ex.feedBody(chunk, 0));
      return;
    }
    if (ex !== null) {
      // Pipelined: the next request waits until this response is complete.
      this.#stash(chunk);
      return;
    }
    this.#stash(chunk);
    this.#next();
  }

  /** Acts on what feeding body bytes found: bytes past the body's end are the next request. */
  #fedBody(ex: ClientExchange, chunk: Buffer, feed: BodyFeed): boolean {
    if (feed.kind === 'badFraming') {
      this.#badBody(ex);
      return false;
    }
    if (feed.kind === 'ended' && feed.next < chunk.length) this.#stash(chunk.subarray(feed.next));
    return true;
  }

  #stash(bytes: Buffer): void {
    this.#pending = this.#pending === null ? bytes : Buffer.concat([this.#pending, bytes]);
    if (this.#pending.length > maxPending) this.pauseClient();
  }

  /**
   * Parses and starts the next requests in the pending bytes, one at a time, as long as whole heads
   * are there. A loop, never a recursion: a refusal the pool gives at once (a stopped pool) ends
   * its exchange inside dispatch(), and the call that makes back into #next only asks this loop
   * for another turn, so 20,000 pipelined refusals cost no stack.
   */
  #next(): void {
    if (this.#inNext) {
      this.#nextAgain = true;
      return;
    }
    this.#inNext = true;
    // The answers the front door makes here go out together, in as few writes as the socket takes.
    this.socket.cork();
    try {
      do {
        this.#nextAgain = false;
        this.#nextRequests();
      } while (this.#nextAgain);
    } finally {
      this.#inNext = false;
      this.socket.uncork();
    }
    // The pending bytes were taken: a client paused for holding too many of them may send more.
    if (this.#exchange === null && this.#tunnel === null) this.resumeClient();
    this.#endIfDone();
  }

  #nextRequests(): void {
    while (this.#exchange === null && this.#pending !== null && !this.#closed) {
      // Backpressure on the answers: read no further request until the client reads what it has.
      if (this.socket.writableLength > answerHighWater) {
        this.#flow.blockUntilWritable();
        return;
      }
      const buf = this.#pending;
      const r = parseRequestHead(buf);
      if (r.kind === 'incomplete') {
        (this.#headWait ??= new HeadWait((ms) => this.#headWaitOver(ms))).arm(this.#ctx.limits.headerWaitTimeout);
        return;
      }
      this.#headWait?.clear();
      if (r.kind === 'error') {
        this.#pending = null;
        this.#ended(null, null, null, r.status, r.reason, 'frontDoor');
        this.#sendAndClose(cannedResponse(r.status, r.message));
        return;
      }
      const head = r.head;
      this.#taken++;
      this.#firstRequest?.done();
      const app = this.#ctx.router.match(head.host, head.path);
      const pool = app === null ? undefined : this.#ctx.pools.get(app.pool);
      const rest = buf.length > head.headLength ? buf.subarray(head.headLength) : null;
      this.#pending = null;
      if (pool === undefined) {
        this.#ended(null, head, buf, 404, 'NotFound', 'frontDoor');
        if (sendNotFound(this.socket, head, this.closing)) {
          this.#closed = true;
          return;
        }
        this.#pending = rest;
        continue;
      }
      const ex = openExchange(this, pool, head, buf, app);
      this.#exchange = ex;
      if (rest !== null && !ex.reqDone) {
        if (!this.#fedBody(ex, rest, ex.feedBody(rest, 0))) return;
      } else if (rest !== null) {
        this.#stash(rest);
      }
      if (!ex.reqDone && this.#ctx.bodyWatch !== undefined) {
        this.#body = new BodyClock(Date.now());
        this.#ctx.bodyWatch.add(this);
      }
      ex.dispatch();
    }
  }

  /** A client that half-closed has nothing more to ask once nothing is in hand or pending. */
  #endIfDone(): void {
    if (!this.#clientEnded || this.#closed || this.#exchange !== null || this.#tunnel !== null || this.#flow.writeBlocked) return;
    this.#sendAndClose();
  }

  /** No whole request head within headerWaitTimeout (`headTimeoutMs`, head-wait.ts): 408. */
  #headWaitOver(headTimeoutMs: number): void {
    if (this.#exchange !== null || this.#closed || this.#pending === null) return;
    this.#pending = null;
    this.#ended(null, null, null, 408, 'Timer_HeaderWait', 'frontDoor');
    this.#sendAndClose(cannedResponse(408, `The request head did not arrive within ${headTimeoutMs} ms.`));
  }

  bodyProgress(now: number, limitMs: number): BodyProgress {
    const ex = this.#exchange;
    if (ex === null || ex.reqDone || this.#closed || this.#tunnel !== null || this.#body === null) return 'done';
    return this.#body.progress(now, limitMs, this.#flow.paused);
  }

  bodyTimedOut(limitMs: number): void {
    const ex = this.#exchange;
    if (ex === null || ex.reqDone || this.#closed) return;
    ex.abandon();
    this.#exchange = null;
    this.#exchangeEnded(ex, 408, 'Timer_EntityBody', 'frontDoor');
    if (ex.sentToClient) this.#destroy();
    else this.#sendAndClose(cannedResponse(408, `The request body sent nothing for ${limitMs} ms (entityBodyTimeout).`));
  }

  /** A bug met on this connection costs this connection only, never the front door. */
  #internalError(err: Error): void {
    const ex = this.#exchange;
    this.#exchange = null;
    ex?.abandon();
    this.#ended(ex, ex?.head ?? null, ex?.raw ?? null, 0, 'Internal', 'frontDoor');
    this.#ctx.onInternalError?.(err);
    this.#destroy();
  }

  #badBody(ex: ClientExchange): void {
    ex.abandon();
    this.#exchange = null;
    this.#exchangeEnded(ex, 400, 'BadRequest', 'frontDoor');
    if (ex.sentToClient) this.#destroy();
    else this.#sendAndClose(cannedResponse(400, 'Malformed chunked request body.'));
  }

  /** Ends the connection, after `response` if there is one. */
  #sendAndClose(response?: string): void {
    this.#closed = true;
    if (response === undefined) this.socket.end();
    else this.socket.end(response);
  }

  #destroy(): void {
    this.#closed = true;
    this.socket.destroy();
  }

  // ---- ExchangeOwner ---------------------------------------------------------------------

  get closing(): boolean {
    return this.#ctx.draining === true;
  }

  write(data: Buffer | string): boolean {
    return this.socket.write(data);
  }

  get buffered(): number {
    return this.socket.writableLength;
  }

  pauseClient(): void {
    this.#flow.pause();
  }

  resumeClient(): void {
    this.#flow.resume(this.#pending?.length ?? 0);
  }

  onClientDrain(fn: () => void): void {
    this.#flow.onDrain(fn);
  }

  #onDrain(): void {
    if (this.#flow.drained() && !this.#closed) {
      this.resumeClient();
      this.#next();
    }
  }

  exchangeDone(ex: ClientExchange, close: boolean): void {
    this.#exchangeEnded(ex, ex.status, null, 'answered');
    this.#nextExchange(close);
  }

  /** The exchange in hand is over: close, or read the next request. */
  #nextExchange(close: boolean): void {
    this.#exchange = null;
    if (close || this.#closed || this.#quiescing) {
      this.#sendAndClose();
      return;
    }
    this.resumeClient();
    this.#next();
  }

  abort(ex: ClientExchange): void {
    // A tunnel that closed was answered (101); any other response was cut off.
    this.#exchangeEnded(ex, ex.status, null, ex.status === 101 ? 'answered' : 'cutOff');
    this.#destroy();
  }

  tunnel(upstream: UpstreamConnection): void {
    this.#tunnel = upstream;
    // Bytes after the upgrade request belong to the new protocol.
    if (this.#pending !== null) {
      upstream.socket.write(this.#pending);
      this.#pending = null;
    }
    this.resumeClient();
  }

  refused(ex: ClientExchange, refusal: Refusal): void {
    this.#exchange = null;
    this.#exchangeEnded(ex, refusal.reset ? 0 : 503, refusal.reason, 'frontDoor');
    if (refusal.reset) {
      this.#closed = true;
      return resetConnection(this.socket);
    }
    this.#answerAndGoOn(ex, 503, `The application pool '${ex.pool.name}' is not available (${refusal.reason}).`, { 'Retry-After': '5' });
  }

  outOfFiles(ex: ClientExchange, err: NodeJS.ErrnoException): void {
    this.#ctx.openFiles.exhausted('connect', err, this.#ctx.connections.size);
    this.#exchange = null;
    // HTTP.sys logs a refusal at its connection limit as ConnLimit.
    this.#exchangeEnded(ex, 503, 'ConnLimit', 'frontDoor');
    this.#answerAndGoOn(ex, 503, 'The host has no file descriptor left for this request; try again shortly.', { 'Retry-After': '1' });
  }

  answer(ex: ClientExchange, status: number, reason: string, message: string): void {
    this.#exchange = null;
    this.#exchangeEnded(ex, status, reason, 'frontDoor');
    this.#answerAndGoOn(ex, status, message);
  }

  badGateway(ex: ClientExchange, reason: string, message = 'ended before answering this request'): void {
    this.answer(ex, 502, reason, `The worker of pool '${ex.pool.name}' ${message}.`);
  }

  gatewayTimeout(ex: ClientExchange, limitMs: number): void {
    this.answer(ex, 504, 'RequestTimeout', `The worker of pool '${ex.pool.name}' sent no response within ${limitMs} ms (requestTimeout).`);
  }

  /** Sends the front door's own answer to the exchange just ended and logged (own-answers.ts). */
  #answerAndGoOn(ex: ClientExchange, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
    if (sendOwnAnswer(this.socket, ex.head, ex.reqDone, this.closing, status, text, headers)) this.#closed = true;
    else this.#nextExchange(false);
  }

  /**
   * The host is stopping: no keep-alive past the request in hand, an idle keep-alive connection
   * closes now, a first request on its way has `graceMs` (first-request-wait.ts). Resolves when the
   * connection asks nothing more of the pools, so that no request that reached the host gets a 503.
   */
  quiesce(graceMs: number): Promise<void> {
    this.#quiescing = true;
    if (this.#closed || this.#exchange !== null || this.#tunnel !== null) return Promise.resolve();
    if (this.#taken > 0 && this.#pending === null) {
      this.#sendAndClose();
      return Promise.resolve();
    }
    this.#firstRequest = new FirstRequestWait(this.socket, graceMs, () => {
      if (this.#exchange === null && this.#tunnel === null && !this.#closed) this.#sendAndClose();
    });
    return this.#firstRequest.promise;
  }

  #onClose(): void {
    this.#headWait?.clear();
    this.#ctx.bodyWatch?.delete(this);
    if (this.#closed && this.#exchange === null && this.#tunnel === null) {
      this.#ctx.connections.delete(this);
      return;
    }
    this.#closed = true;
    this.#ctx.connections.delete(this);
    const ex = this.#exchange;
    this.#exchange = null;
    if (ex !== null && !ex.finished) {
      ex.abandon();
      // A tunnel the client closed was answered (101); anything else was given up.
      this.#exchangeEnded(ex, ex.status, null, ex.status === 101 ? 'answered' : 'clientGone');
    }
    const t = this.#tunnel;
    this.#tunnel = null;
    if (t !== null && !t.closed) t.socket.destroy();
  }
}
