/**
 * What a worker's PORT holds, and the argv that names it. A generic worker gets what the host
 * connects to: a loopback TCP port (`listen: tcp`, its default) or a unix socket path. A Node
 * worker on a unix socket (`listen: unix`, its default) gets a port number in PORT — the value
 * every Node server is written to take, `listen(process.env.PORT)`, `{ port: Number(PORT) }` and
 * all — and the socket path in PADDOCK_SOCKET; the worker SDK binds the socket when the app
 * listens on that port. The app runs unmodified and requests keep the unix socket's lower cost.
 */
import { createServer } from 'node:net';
import type { PoolConfig } from '../config/types.ts';

/**
 * Where a worker listens: a unix socket path or a loopback TCP port. `portAlias`: the number a Node
 * worker sees in PORT while its SDK binds `path`.
 */
export type WorkerAddress = { readonly path: string; readonly portAlias?: number } | { readonly port: number };

/** PORT's value for a worker at `address`. */
export function portValue(address: WorkerAddress): string {
  if ('path' in address) return address.portAlias === undefined ? address.path : String(address.portAlias);
  return String(address.port);
}

/** The socket a Node worker's SDK binds in place of PORT, or null. */
export function socketAlias(address: WorkerAddress): string | null {
  return 'path' in address && address.portAlias !== undefined ? address.path : null;
}

/**
 * `{port}`, `$PORT` and `${PORT}` in command arguments replaced by PORT's value, without a shell:
 * `["php", "-S", "127.0.0.1:{port}"]`, `["flask", "run", "--port", "$PORT"]`.
 */
export function expandPort(argv: readonly string[], port: string): string[] {
  return argv.map((arg) => arg.replace(/\{port\}|\$\{PORT\}|\$PORT(?![A-Za-z0-9_])/g, () => port));
}

/** A loopback port that nothing listens on now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The address a worker is started with: for runtime node on a unix socket, the socket plus a free
 * port number for PORT. The number is free when the worker starts, so a Node process that binds
 * it without the SDK (none should) fails visibly rather than on another worker's port.
 */
export async function withPortAlias(pool: PoolConfig, address: WorkerAddress): Promise<WorkerAddress> {
  // A FastCGI worker is handed its socket by the host (docs/php.md): it listens on nothing itself.
  if (pool.runtime !== 'node' || pool.protocol === 'fastcgi' || !('path' in address)) return address;
  return { path: address.path, portAlias: await freeLoopbackPort() };
}
