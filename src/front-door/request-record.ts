/**
 * How one request ended at the front door: what the access log, /metrics and any other observer
 * read, from one place (ClientConnection's #ended), whichever way the request went. Enough for an
 * access-log line (IIS W3C fields), the latency histograms and the dashboard's history. A record
 * holds raw references (the request head and the bytes it was parsed from), not formatted text:
 * nothing is formatted on the request path; the access log's batch does it later, off that path.
 * Records are kept until their batch is written, so each request gets its own.
 */
import type { RequestHead } from './http-parser.ts';

/** Who answered, or why nobody did. */
export type RequestEnding =
  /** A worker answered and its response went out whole (a tunnel that closed counts too). */
  | 'answered'
  /** The front door answered itself: a refusal (503, reset), 404, 400, 408, 502. */
  | 'frontDoor'
  /** The response was cut off: the worker's side broke after part of it reached the client. */
  | 'cutOff'
  /** The client went away before its response was complete. */
  | 'clientGone';

/** One request, as it ended. Timings are milliseconds from the request head's arrival; -1 = did not happen. */
export interface RequestRecord {
  /** Epoch ms when the exchange ended (IIS logs the time the entry is written). */
  readonly end: number;
  /** Method as sent; null when no head could be read (400, 408). */
  readonly method: string | null;
  /** Path without the query, and the whole request-target (for cs-uri-query). */
  readonly path: string | null;
  readonly target: string | null;
  /** The parsed head; null when the head itself was refused (400, 408). */
  readonly head: RequestHead | null;
  /** The bytes `head` was parsed from, for fields read only when the line is formatted (User-Agent). */
  readonly raw: Buffer | null;
  readonly clientIp: string;
  /** The front door's own address and port of the connection (W3C s-ip, s-port). */
  readonly serverIp: string;
  readonly serverPort: number;
  /** The pool that was routed to; null when no app matched. */
  readonly pool: string | null;
  /** The worker that answered (the last one tried); null when none did. */
  readonly worker: string | null;
  /** The status sent to the client; 0 when nothing was sent (a reset, a client that left). */
  readonly status: number;
  /** Why the front door answered or ended the request itself (HTTP.sys reasons); null when a worker answered. */
  readonly reason: string | null;
  readonly ending: RequestEnding;
  /** Time spent waiting for a worker (queue wait); -1 when the request never got one. */
  readonly queueMs: number;
  /** Time to the first byte of the answer sent to the client; -1 when nothing was sent. */
  readonly ttfbMs: number;
  /** Time from the head's arrival to the end of the exchange (W3C time-taken). */
  readonly totalMs: number;
  /** Workers tried: 2 for a GET retried after its first worker died. */
  readonly attempts: number;
}

/**
 * The IIS sub-status of a record (W3C sc-substatus). IIS's own numbers where they say the same
 * thing: 503.0 application pool unavailable, 503.2 concurrent request limit (the queue is full),
 * 502.3 the gateway's connection to the backend failed (ARR), 404.0 not found; 0 otherwise.
 */
export function substatusOf(record: Pick<RequestRecord, 'status' | 'reason'>): number {
  switch (record.reason) {
    case 'QueueFull':
      return 2;
    case 'Connection_Abandoned_By_AppPool':
      return record.status === 502 ? 3 : 0;
    default:
      return 0;
  }
}

/**
 * The value of a request header field, read from the raw head (the parser keeps only the framing
 * fields). `name` in lower case, matched case-insensitively; the first occurrence; null when absent. Scans bytes and decodes
 * only the value: it runs once per access-log line.
 */
export function headerValue(raw: Buffer, head: RequestHead, name: string): string | null {
  const n = name.length;
  const end = head.headLength;
  // Field lines start just after a LF; the first one at requestLineEnd.
  let at = head.requestLineEnd;
  while (at + n < end) {
    let match = raw[at + n] === 0x3a; // ':'
    for (let i = 0; match && i < n; i++) {
      const b = raw[at + i];
      // ASCII letters compare case-insensitively (b | 0x20); '-' and digits as they are.
      match = (b >= 0x41 && b <= 0x5a ? b | 0x20 : b) === name.charCodeAt(i);
    }
    const eol = raw.indexOf(0x0a, at);
    if (match) {
      const stop = eol === -1 || eol > end ? end : eol;
      return raw.toString('latin1', at + n + 1, stop).trim();
    }
    if (eol === -1 || eol >= end) break;
    at = eol + 1;
  }
  return null;
}
