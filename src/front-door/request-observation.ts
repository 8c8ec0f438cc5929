/**
 * The per-request observation: the few facts an exchange notes as it goes (when it got a worker,
 * which one, when the first byte went to the client), and the record ClientConnection's #ended
 * makes of them when the request ends. The exchange's hooks are one line each; the logic is here.
 *
 * Cost on the request path: three performance.now() readings, one small object, one push onto
 * the access log's batch. Nothing is formatted until the batch is.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { RequestHead } from './http-parser.ts';
import type { RequestEnding, RequestRecord } from './request-record.ts';

/** What one exchange notes while it runs. */
export class Observation {
  /** performance.now() when the request head was parsed. */
  readonly startedAt = performance.now();
  grantedAt = -1;
  firstByteAt = -1;
  attempts = 0;
  worker: string | null = null;

  /** A worker took the request (again, for a retry). */
  granted(workerId: string): void {
    if (this.grantedAt < 0) this.grantedAt = performance.now();
    this.attempts++;
    this.worker = workerId;
  }

  /** Bytes of the answer are going to the client; the first call counts. */
  firstByte(): void {
    if (this.firstByteAt < 0) this.firstByteAt = performance.now();
  }
}

/** The client connection's side of a record. */
export interface ConnectionFacts {
  readonly forwardedFor: string;
  readonly socket: Socket;
}

/** What a record reads of the exchange a request went through. */
export interface ObservedExchange {
  readonly raw: Buffer;
  readonly pool: { readonly name: string };
  readonly observation: Observation;
}

function serverIp(socket: Socket): string {
  // Node caches getsockname per socket: one system call per connection, not per request.
  const a = socket.localAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * HTTP.sys's words for a request nobody refused that still did not end well: a response cut off
 * by its worker, a client that left while queued (Client_Reset) or while answered (Connection_Dropped).
 */
function endingReason(ending: RequestEnding, o: Observation | null): string | null {
  if (ending === 'cutOff') return 'Connection_Abandoned_By_AppPool';
  if (ending === 'clientGone') return o === null || o.worker === null ? 'Client_Reset' : 'Connection_Dropped';
  return null;
}

/**
 * The record of a request that ended with `status` (0: nothing sent) and, when the front door
 * decided, a reason. `ex` is null for a request answered before any exchange (400, 404, 408).
 */
export function endedRecord(
  conn: ConnectionFacts,
  ex: ObservedExchange | null,
  head: RequestHead | null,
  raw: Buffer | null,
  status: number,
  reason: string | null,
  ending: RequestEnding,
): RequestRecord {
  const o = ex?.observation ?? null;
  const total = o === null ? 0 : performance.now() - o.startedAt;
  return {
    end: Date.now(),
    method: head?.method ?? null,
    path: head?.path ?? null,
    target: head?.target ?? null,
    head,
    raw: head === null ? null : (ex?.raw ?? raw),
    clientIp: conn.forwardedFor,
    serverIp: serverIp(conn.socket),
    serverPort: conn.socket.localPort ?? 0,
    pool: ex?.pool.name ?? null,
    worker: o?.worker ?? null,
    status,
    reason: reason ?? endingReason(ending, o),
    ending,
    queueMs: o === null || o.grantedAt < 0 ? -1 : o.grantedAt - o.startedAt,
    // The front door's own answers (503, 502, 404) go out whole at the end: their first byte is the last.
    ttfbMs: o !== null && o.firstByteAt >= 0 ? o.firstByteAt - o.startedAt : status > 0 ? total : -1,
    totalMs: total,
    attempts: o?.attempts ?? 0,
  };
}
