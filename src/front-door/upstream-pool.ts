/**
 * Keep-alive connections from the front door to one worker. A connection carries one exchange at
 * a time; between exchanges it waits in the idle list (most recently used first), and an idle
 * connection is closed after `idleMs`, well under the worker's own keep-alive timeout (Node's
 * default is 5 s) so a worker never closes a connection the host is about to use. A connection is
 * kept only while its worker takes requests: a draining, suspended or hung worker gets none back.
 *
 * A connection reads into a buffer of its own (net's `onread`) rather than through a Readable
 * stream: no allocation and no stream bookkeeping per read. The bytes a handler gets are then lent
 * until it returns; a handler that keeps them (a write the client's kernel buffer did not take at
 * once) calls `detachBuffer()`, and the next read goes into a new buffer. A pool made with
 * `lend: false` (FastCGI, whose record reader keeps partial records) gets buffers of its own.
 */
import { connect, type Socket } from 'node:net';
import type { LeasedWorker } from '../pools/lease.ts';

/** What an exchange implements to receive a connection's events. */
export interface UpstreamHandler {
  /** In a pool made with `lend: true`, `chunk` is lent until this returns: copy what is kept, or call `conn.detachBuffer()`. */
  onUpstreamData(conn: UpstreamConnection, chunk: Buffer): void;
  onUpstreamClose(conn: UpstreamConnection, error: Error | null): void;
  onUpstreamDrain(conn: UpstreamConnection): void;
}

const idleMs = 4_000;
/** The read buffer of one connection: net's own default read size. */
const readBufferBytes = 64 * 1024;
const pools = new Set<UpstreamPool>();
let sweeper: NodeJS.Timeout | null = null;

function sweepAll(): void {
  const now = Date.now();
  for (const pool of pools) pool.sweep(now);
}

/** One connection to a worker. */
export class UpstreamConnection {
  readonly socket: Socket;
  readonly pool: UpstreamPool;
  handler: UpstreamHandler | null = null;
  /** Exchanges this connection has carried; > 1 means it was reused. */
  uses = 0;
  lastUsed = 0;
  closed = false;

  #buffer: Buffer = Buffer.allocUnsafe(readBufferBytes);
  #detached = false;

  constructor(pool: UpstreamPool, target: { path: string } | { port: number; host: string }, lend: boolean) {
    this.pool = pool;
    const socket = lend
      ? connect({ ...target, onread: { buffer: () => this.#nextBuffer(), callback: (n: number, buf: Uint8Array) => this.#onRead(buf.subarray(0, n) as Buffer) } } as never)
      : connect(target as never);
    if (!lend) socket.on('data', (chunk: Buffer) => this.#onRead(chunk));
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('drain', () => this.handler?.onUpstreamDrain(this));
    socket.on('error', (err) => this.#closed(err));
    socket.on('close', () => this.#closed(null));
    socket.on('end', () => {
      this.#closed(null);
      socket.destroy();
    });
  }

  /** The bytes just lent stay referenced (queued for the client): the next read needs a new buffer. */
  detachBuffer(): void {
    this.#detached = true;
  }

  #nextBuffer(): Buffer {
    if (this.#detached) {
      this.#detached = false;
      this.#buffer = Buffer.allocUnsafe(readBufferBytes);
    }
    return this.#buffer;
  }

  #onRead(chunk: Buffer): boolean {
    const socket = this.socket;
    if (this.handler === null) {
      socket.destroy(); // bytes nobody asked for: the connection's framing is lost
      return false;
    }
    try {
      this.handler.onUpstreamData(this, chunk);
    } catch (err) {
      // A bug met on this exchange costs this exchange only: its close handling answers the client.
      socket.destroy(err as Error);
      return false;
    }
    // A handler that applies backpressure pauses the socket itself (net stops reading then).
    return true;
  }

  #closed(err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    const handler = this.handler;
    this.handler = null;
    handler?.onUpstreamClose(this, err);
  }
}

/** The connections of one worker. */
export class UpstreamPool {
  readonly #worker: LeasedWorker;
  readonly #target: { path: string } | { port: number; host: string };
  readonly #idle: UpstreamConnection[] = [];
  #all = new Set<UpstreamConnection>();
  #closed = false;

  readonly #lend: boolean;

  /** `lend`: reads are lent to the handler until it returns (see the top of this file). */
  constructor(worker: LeasedWorker, options: { readonly lend: boolean } = { lend: false }) {
    this.#worker = worker;
    this.#lend = options.lend;
    const address = worker.address;
    this.#target = 'path' in address ? { path: address.path } : { port: address.port, host: '127.0.0.1' };
  }

  /** An idle connection (unless `fresh`), or a new one (writes before it connects are buffered by net). */
  take(fresh: boolean): UpstreamConnection {
    let conn = fresh ? undefined : this.#idle.pop();
    if (conn === undefined) {
      conn = new UpstreamConnection(this, this.#target, this.#lend);
      this.#all.add(conn);
    }
    conn.uses++;
    return conn;
  }

  /** Returns a connection whose exchange ended cleanly (`reusable`), or closes it. */
  give(conn: UpstreamConnection, reusable: boolean): void {
    conn.handler = null;
    if (!reusable || this.#closed || conn.closed || this.#worker.state !== 'ready' || this.#worker.hung) {
      conn.socket.destroy();
      return;
    }
    conn.lastUsed = Date.now();
    this.#idle.push(conn);
    if (sweeper === null) {
      sweeper = setInterval(sweepAll, 1_000);
      sweeper.unref();
    }
    pools.add(this);
  }

  /** Removes a closed connection from the lists. */
  forget(conn: UpstreamConnection): void {
    this.#all.delete(conn);
    const at = this.#idle.indexOf(conn);
    if (at !== -1) this.#idle.splice(at, 1);
    if (this.#idle.length === 0) pools.delete(this);
  }

  /** Closes connections idle longer than the limit. */
  sweep(now: number): void {
    while (this.#idle.length > 0 && now - this.#idle[0].lastUsed > idleMs) this.#idle.shift()!.socket.destroy();
    if (this.#idle.length === 0) pools.delete(this);
  }

  /** Closes every idle connection (a draining worker must see none). */
  closeIdle(): void {
    for (const conn of this.#idle.splice(0)) conn.socket.destroy();
    pools.delete(this);
  }

  /** Closes every connection, busy ones too, and refuses to keep new ones. */
  destroyAll(): void {
    this.#closed = true;
    this.closeIdle();
    for (const conn of this.#all) conn.socket.destroy();
    this.#all.clear();
  }

  get size(): number {
    return this.#all.size;
  }
}
