/**
 * The front door (the HTTP.sys role): listens on the bindings, holds client connections, routes
 * each request to a pool and relays it to a worker. It runs no user code.
 */
import { createServer, type Server } from 'node:net';
import type { Binding, SiteConfig } from '../config/types.ts';
import type { Pool } from '../pools/pool.ts';
import { AccessLog } from './access-log.ts';
import { ClientConnection } from './client-connection.ts';
import { Router } from './router.ts';

/** What client connections read: routes, pools, the access log. Swapped whole on reload. */
export interface FrontDoorContext {
  router: Router;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly accessLog: AccessLog;
  readonly connections: Set<ClientConnection>;
}

/** The listening sockets and the connections they hold. */
export class FrontDoor {
  readonly context: FrontDoorContext;
  readonly #servers: Server[] = [];

  constructor(sites: readonly SiteConfig[], pools: ReadonlyMap<string, Pool>, accessLog: AccessLog) {
    this.context = { router: new Router(sites), pools, accessLog, connections: new Set() };
  }

  /** Replaces the routes (config reload); connections keep going. */
  setSites(sites: readonly SiteConfig[]): void {
    this.context.router = new Router(sites);
  }

  /** Listens on every binding; rejects with the binding that failed. */
  async listen(bindings: readonly Binding[]): Promise<Array<{ host: string; port: number }>> {
    const bound: Array<{ host: string; port: number }> = [];
    for (const b of bindings) {
      const server = createServer({ noDelay: true }, (socket) => {
        this.context.connections.add(new ClientConnection(socket, this.context, 'http'));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(new Error(`cannot listen on ${b.host}:${b.port}: ${err.message}`)));
        server.listen({ host: b.host === '' ? undefined : b.host, port: b.port, backlog: 4096 }, () => resolve());
      });
      server.on('error', () => {});
      const a = server.address() as { address: string; port: number };
      bound.push({ host: a.address, port: a.port });
      this.#servers.push(server);
    }
    return bound;
  }

  /**
   * Stops accepting. Resolves when the listeners have closed, which is after every connection
   * has ended: call destroyConnections() once the exchanges in hand are done.
   */
  close(): Promise<void> {
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#servers.length = 0;
    return closed.then(() => undefined);
  }

  /** Closes every client connection now. */
  destroyConnections(): void {
    for (const c of this.context.connections) c.socket.destroy();
    this.context.connections.clear();
  }
}
