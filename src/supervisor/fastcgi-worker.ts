/**
 * How a FastCGI worker starts, the way the specification and IIS's FastCGI module start one: the
 * host makes the listening socket and hands it to the process as fd 0 (FCGI_LISTENSOCK_FILENO,
 * FastCGI 1.0 §2.2); php-cgi, finding a socket on its stdin, accepts on it. The socket exists before
 * the process does, so nothing races for its name and a request that arrives while php-cgi starts
 * waits in the kernel's backlog.
 *
 * For php-cgi, what IIS's documentation asks of a FastCGI host:
 * - PHP_FCGI_CHILDREN=0: one process, no children of its own, so each php-cgi is one worker the
 *   pool can see, ping, recycle and kill;
 * - PHP_FCGI_MAX_REQUESTS above periodicRestart.requests (IIS: "instanceMaxRequests ≤
 *   PHP_FCGI_MAX_REQUESTS"), so the pool recycles first; 0 (no limit) when the pool recycles by
 *   other triggers only — php-cgi's own default of 500 would end the worker by surprise;
 * - `-d log_errors=1 -d fastcgi.logging=0`: PHP's errors go to the process's stderr, unbuffered,
 *   so a fatal error with its file and line is in the pool's log and in the crash report even when
 *   the process dies the next moment (through FCGI_STDERR, PHP buffers them with the response).
 *   The pool's own `-d` arguments come after these and win.
 */
import { createServer, type Server } from 'node:net';
import { renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PoolConfig } from '../config/types.ts';
import type { WorkerAddress } from './spawn-spec.ts';

/** php-cgi by its program name: php-cgi, php-cgi8.2, /usr/bin/php-cgi. */
export function isPhpCgi(command: readonly string[]): boolean {
  return command.length > 0 && /^php-cgi[\d.]*$/.test(basename(command[0]));
}

/** The settings php-cgi is started with, before the pool's own arguments. */
export const PHP_CGI_SETTINGS: readonly string[] = ['-d', 'log_errors=1', '-d', 'fastcgi.logging=0'];

/** The argv of a FastCGI worker: php-cgi gets PHP_CGI_SETTINGS after its program name. */
export function fastcgiArgv(pool: PoolConfig, argv: readonly string[]): string[] {
  if (!isPhpCgi(argv)) return [...argv];
  return [argv[0], ...PHP_CGI_SETTINGS, ...argv.slice(1)];
}

/** php-cgi's own request limit: twice the pool's, so the pool recycles first; 0 = none. */
export function phpMaxRequests(pool: PoolConfig): number {
  const limit = pool.recycling.periodicRestart.requests;
  return limit > 0 ? limit * 2 : 0;
}

/**
 * The environment a FastCGI worker gets beside the usual one. The pool's `env` may set
 * PHP_FCGI_MAX_REQUESTS; PHP_FCGI_CHILDREN is always 0, or the pool would not see its workers.
 */
export function fastcgiEnv(pool: PoolConfig): { readonly defaults: Record<string, string>; readonly forced: Record<string, string> } {
  if (!isPhpCgi(pool.command)) return { defaults: {}, forced: {} };
  return {
    defaults: { PHP_FCGI_MAX_REQUESTS: String(phpMaxRequests(pool)) },
    forced: { PHP_FCGI_CHILDREN: '0' },
  };
}

/** A listening socket made for a worker, to be handed to it as fd 0. */
export interface ListenSocket {
  readonly fd: number;
  /** Closes the host's copy (after the spawn): the worker's own stays open, the socket file stays. */
  close(): void;
}

/**
 * Listens on the worker's address and returns the descriptor. A unix socket is bound under a
 * temporary name and renamed into place, because closing the host's copy unlinks the name it was
 * bound to (libuv's pipe close), and the worker needs the file to stay.
 */
export async function openListenSocket(address: WorkerAddress): Promise<ListenSocket> {
  const server: Server = createServer();
  const bindPath = 'path' in address ? join(dirname(address.path), `.l${randomBytes(4).toString('hex')}`) : null;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The host never accepts here: the worker is the only one that may, so the socket is closed on
    // this side as soon as it is handed over, before the event loop could poll it.
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
