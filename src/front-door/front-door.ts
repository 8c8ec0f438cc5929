/**
 * The front door (the HTTP.sys role): listens on the bindings, holds client connections, routes
 * each request to a pool and relays it to a worker. It runs no user code.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Binding, SiteConfig, TlsConfig } from '../config/types.ts';
import type { PoolDoor } from '../pools/pool-door.ts';
import type { AccessLog } from './access-log.ts';
import { ClientConnection } from './client-connection.ts';
import type { FrontDoorContext } from './front-door-context.ts';
import { Router } from './router.ts';
import { Upstreams } from './upstreams.ts';
import { isOutOfFiles, OpenFiles, type OutOfFilesBurst } from './open-files.ts';
import { FastCgiUpstreams } from './fastcgi-upstreams.ts';
import { BodyWatch } from './body-watch.ts';
import { matchInheritedSockets, type InheritedSocket } from '../service/listen-fds.ts';

export type { FrontDoorContext } from './front-door-context.ts';

/** The listening sockets and the connections they hold. */
export class FrontDoor {
  readonly context: FrontDoorContext;
  readonly #servers: Server[] = [];
  /** Told about a bug met on a connection (the connection is closed; the front door goes on). */
  set onInternalError(fn: ((err: Error) => void) | null) {
    this.context.onInternalError = fn ?? undefined;
  }
  /** Told once per burst of EMFILE/ENFILE (the host writes event 7172). */
  onOutOfFiles: ((burst: OutOfFilesBurst) => void) | null = null;

  constructor(sites: readonly SiteConfig[], pools: ReadonlyMap<string, PoolDoor>, accessLog: AccessLog, limits: FrontDoorContext['limits']) {
    const bodyWatch = new BodyWatch(() => this.context.limits.entityBodyTimeout ?? 0);
    const openFiles = new OpenFiles({ onBurst: (burst) => this.onOutOfFiles?.(burst) });
    this.context = { router: new Router(sites), limits, pools, upstreams: new Upstreams(), fastcgiUpstreams: new FastCgiUpstreams(), accessLog, connections: new Set(), bodyWatch, openFiles };
  }

  /** Replaces the routes and timers (config reload); connections keep going. */
  reconfigure(sites: readonly SiteConfig[], limits: FrontDoorContext['limits']): void {
    this.context.router = new Router(sites);
    this.context.limits = limits;
  }

  /**
   * Listens on every binding; rejects with the binding that failed. Sockets passed by systemd
   * (socket activation, service/listen-fds.ts) serve the bindings they are bound to, and any other
   * passed socket is served as well, as plain HTTP. `reusePort`: every front-door thread listens
   * on the same addresses (SO_REUSEPORT), and the kernel spreads new connections over them.
   */
  async listen(bindings: readonly Binding[], tls: TlsConfig | null = null, inherited: readonly InheritedSocket[] = [], options: { reusePort?: boolean } = {}): Promise<Array<{ host: string; port: number; tls: boolean }>> {
    const bound: Array<{ host: string; port: number; tls: boolean }> = [];
    const secure = bindings.some((b) => b.tls) ? readTls(tls) : null;
    const { forBinding, extra } = matchInheritedSockets(inherited, bindings);
    const targets = [
      ...bindings.map((b, i) => ({ b, fd: forBinding.get(i)?.fd ?? null })),
      ...extra.map((s) => ({ b: { host: s.address?.host ?? '', port: s.address?.port ?? 0, tls: false }, fd: s.fd })),
    ];
    for (const { b, fd } of targets) {
      const accept = (proto: string) => (socket: Socket): void => {
        // Out of descriptors: a new client is closed at once, rather than have its request fail
        // on the way to a worker; the descriptors left serve the clients connected and the admin.
        if (this.context.openFiles.shedding) {
          this.context.openFiles.refusedOne();
          socket.destroy();
          return;
        }
        this.context.connections.add(new ClientConnection(socket, this.context, proto));
      };
      // TLS bindings terminate TLS here; the bytes to workers are plain HTTP/1.1 as on any binding.
      const server: Server = b.tls && secure !== null
        ? createTlsServer({ ...secure, ALPNProtocols: ['http/1.1'] }, accept('https'))
        : createServer({ noDelay: true }, accept('http'));
      const where = fd === null ? `${b.host}:${b.port}` : `the socket passed as descriptor ${fd}`;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(new Error(`cannot listen on ${where}: ${err.message}`)));
        server.listen(fd === null ? { host: b.host === '' ? undefined : b.host, port: b.port, backlog: 4096, reusePort: options.reusePort === true } : { fd }, () => resolve());
      });
      server.on('error', (err) => {
        // libuv accepts and closes what is pending when accept(2) meets EMFILE; the front door
        // begins refusing new clients and gives back its reserve.
        if (isOutOfFiles(err)) this.context.openFiles.exhausted('accept', err, this.context.connections.size);
      });
      const a = server.address();
      bound.push(typeof a === 'string' || a === null ? { host: a ?? where, port: 0, tls: b.tls } : { host: a.address, port: a.port, tls: b.tls });
      this.#servers.push(server);
    }
    return bound;
  }

  /**
   * Stops accepting. Resolves when the listeners have closed, which is after every connection
   * has ended: call destroyConnections() once the exchanges in hand are done.
   */
  close(): Promise<void> {
    this.context.openFiles.close();
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#servers.length = 0;
    return closed.then(() => undefined);
  }

  /**
   * Host stop, after close(): every connection gets the request it already carries served and then
   * closes (ClientConnection.quiesce). Resolves when none waits for a request any more.
   */
  async quiesce(graceMs: number): Promise<void> {
    await Promise.all([...this.context.connections].map((c) => c.quiesce(graceMs)));
  }

  /** `paddock drain`: every answer closes its keep-alive connection. */
  setDraining(on: boolean): void {
    this.context.draining = on;
  }

  /** Client connections open. */
  connectionCount(): number {
    return this.context.connections.size;
  }

  /** The front door runs on the host's thread: no front-door thread has a load of its own. */
  loads(): null {
    return null;
  }

  /** Closes every client connection now. */
  destroyConnections(): void {
    this.context.bodyWatch?.stop();
    for (const c of this.context.connections) c.socket.destroy();
    this.context.connections.clear();
  }
}

/** Reads the certificate and key once, at start: a missing file stops the host with its path. */
function readTls(tls: TlsConfig | null): { cert: Buffer; key: Buffer } {
  if (tls === null) throw new Error('an https:// binding needs tls: { cert, key }');
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: read('certificate', tls.cert), key: read('key', tls.key) };
}
