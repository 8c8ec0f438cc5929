/**
 * The contract between a client connection and the exchange that carries its current request to a
 * worker, whatever the upstream protocol: what an exchange may ask of its client connection
 * (ExchangeOwner), and what the connection asks of an exchange (ClientExchange).
 */
import type { Socket } from 'node:net';
import type { Connector, Refusal } from '../pools/lease.ts';
import type { PoolDoor } from '../pools/pool-door.ts';
import type { RequestHead } from './http-parser.ts';
import type { UpstreamConnection } from './upstream-pool.ts';
import type { Observation } from './request-observation.ts';

/** What an exchange needs from its client connection. */
export interface ExchangeOwner {
  readonly forwardedFor: string;
  readonly proto: string;
  /** Where HTTP leases take their connections to workers. */
  readonly upstreams: Connector<UpstreamConnection>;
  /** Where FastCGI leases take theirs (FCGI_KEEP_CONN connections). */
  readonly fastcgiUpstreams: Connector<UpstreamConnection>;
  /** The client's socket: its addresses, which FastCGI's CGI variables name. */
  readonly socket: Socket;
  /** Writes to the client; false when the client's buffer is full. */
  write(data: Buffer | string): boolean;
  /** Bytes written to the client that the kernel has not taken yet (they are still referenced). */
  readonly buffered: number;
  pauseClient(): void;
  resumeClient(): void;
  onClientDrain(fn: () => void): void;
  /** The response went out whole; `close` ends the client connection. */
  exchangeDone(exchange: ClientExchange, close: boolean): void;
  /** The response was cut off (or a tunnel ended): the client connection must be destroyed. */
  abort(exchange: ClientExchange): void;
  /** Tunnel mode after 101 Switching Protocols: client bytes go straight to `upstream`. */
  tunnel(upstream: UpstreamConnection): void;
  /** The pool refused the request: 503, or a reset (TcpLevel). */
  refused(exchange: ClientExchange, refusal: Refusal): void;
  /**
   * The host had no descriptor left to reach the worker (EMFILE/ENFILE): 503, the host's failure,
   * not the worker's (no retry, not counted against the pool).
   */
  outOfFiles(exchange: ClientExchange, err: NodeJS.ErrnoException): void;
  /** The front door answers the request itself (a FastCGI path that names no script: 404, 400, 411). */
  answer(exchange: ClientExchange, status: number, reason: string, message: string): void;
  /** Answers 502; `message` says what the worker did (default: it ended before answering). */
  badGateway(exchange: ClientExchange, reason: string, message?: string): void;
  /** Answers 504: the worker sent no response head within requestTimeout (`limitMs`). */
  gatewayTimeout(exchange: ClientExchange, limitMs: number): void;
  /** The host drains (`paddock drain`): this connection closes after the answer in progress. */
  readonly closing: boolean;
}

/** What feeding request body bytes found. */
export type BodyFeed =
  /** All of the chunk was body; more is to come. */
  | { readonly kind: 'more' }
  /** The body ended at `next` in the chunk: what follows is the next pipelined request. */
  | { readonly kind: 'ended'; readonly next: number }
  /** The body's chunked framing is broken: the request is refused (400) and the connection closed. */
  | { readonly kind: 'badFraming' };

export const BODY_MORE: BodyFeed = Object.freeze({ kind: 'more' });
export const BODY_BAD_FRAMING: BodyFeed = Object.freeze({ kind: 'badFraming' });

/** What a client connection needs from the exchange of its current request. */
export interface ClientExchange {
  readonly head: RequestHead;
  /** The bytes the head was parsed from (the access log reads User-Agent from them, later). */
  readonly raw: Buffer;
  /** When it got a worker, which one, when its first byte went out: for the access log and /metrics. */
  readonly observation: Observation;
  readonly pool: PoolDoor;
  /** When the head was complete (epoch ms). */
  readonly startedAt: number;
  /** The whole request body has been read from the client. */
  readonly reqDone: boolean;
  /** Part of a response has gone to the client: a failure now can only cut it off. */
  readonly sentToClient: boolean;
  /** The exchange is over (answered, refused, failed or abandoned). */
  readonly finished: boolean;
  /** The status of the worker's response, 0 before one was read. */
  readonly status: number;
  /** The worker that answered, or last held the request; null when none did. */
  readonly workerId: string | null;
  /** Asks the pool for a worker: granted now, queued, or refused. */
  dispatch(): void;
  /** Request body bytes from the client, from `start` in `chunk`. */
  feedBody(chunk: Buffer, start: number): BodyFeed;
  /** The client went away: give up the queue place or the lease. */
  abandon(): void;
}
