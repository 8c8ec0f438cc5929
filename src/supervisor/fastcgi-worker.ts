/**
 * What a FastCGI worker is started with beyond its socket on fd 0 (src/fastcgi/listen-socket.ts).
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
import { basename } from 'node:path';
import type { PoolConfig } from '../config/types.ts';

/** php-cgi by its program name: php-cgi, php-cgi8.2, /usr/bin/php-cgi. */
export function isPhpCgi(command: readonly string[]): boolean {
  return command.length > 0 && /^php-cgi[\d.]*$/.test(basename(command[0]));
}

/** The settings php-cgi is started with, before the pool's own arguments. */
export const PHP_CGI_SETTINGS: readonly string[] = ['-d', 'log_errors=1', '-d', 'fastcgi.logging=0'];

/** The argv of a FastCGI worker: php-cgi gets PHP_CGI_SETTINGS after its program name. */
export function fastcgiArgv(argv: readonly string[]): string[] {
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
