/**
 * The listening socket a FastCGI application is started with (FastCGI 1.0 §2.2: the Web server
 * leaves a listening socket open on FCGI_LISTENSOCK_FILENO, file descriptor 0). The host makes it
 * and hands it over at spawn; the application accepts on it. The socket exists before the process
 * does, so nothing races for its name and a request that arrives while the application starts
 * waits in the kernel's backlog.
 */
import { createServer, type Server } from 'node:net';
import { renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastCgiAddress } from './address.ts';

/** A listening socket made for a worker, to be handed to it as fd 0. */
export interface ListenSocket {
  readonly fd: number;
  /** Closes the host's copy (after the spawn): the worker's own stays open, the socket file stays. */
  close(): void;
}

/**
 * Listens on `address` and returns the descriptor. A unix socket is bound under a temporary name
 * and renamed into place, because closing the host's copy unlinks the name it was bound to
 * (libuv's pipe close), and the worker needs the file to stay. The host never accepts on it: its
 * copy is closed right after the spawn, before the event loop polls it.
 */
export async function openListenSocket(address: FastCgiAddress): Promise<ListenSocket> {
  const server: Server = createServer();
  const bindPath = 'path' in address ? join(dirname(address.path), `.l${randomBytes(4).toString('hex')}`) : null;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Should the host ever be handed a connection here, it is not the host's to serve.
    server.on('connection', (s) => s.destroy());
    if (bindPath !== null) server.listen({ path: bindPath, backlog: 511 }, () => resolve());
    else server.listen({ port: (address as { port: number }).port, host: '127.0.0.1', backlog: 511 }, () => resolve());
  });
  if (bindPath !== null) renameSync(bindPath, (address as { path: string }).path);
  const handle = (server as unknown as { _handle: { fd?: number } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    server.close();
    throw new Error('the listening socket has no file descriptor to hand over');
  }
  return { fd, close: () => server.close() };
}
