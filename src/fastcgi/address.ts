/**
 * Where a FastCGI worker listens: a unix socket path or a loopback TCP port (the shape of the
 * supervisor's WorkerAddress, restated here so that this folder imports nothing of the host).
 */
import { connect, type Socket } from 'node:net';

/** A worker's listening address. */
export type FastCgiAddress = { readonly path: string } | { readonly port: number };

/** A new connection to `address`. */
export function connectTo(address: FastCgiAddress): Socket {
  return 'path' in address ? connect(address.path) : connect(address.port, '127.0.0.1');
}
