/**
 * php-cgi for tests: where Debian puts it, a skip message where it is missing, the PHP fixtures'
 * folder, and a php-cgi started as a pool starts one (its listening socket on fd 0, one process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openListenSocket } from '../../src/fastcgi/listen-socket.ts';

export const PHP_CGI = '/usr/bin/php-cgi';
/** `false` when php-cgi is installed, else why its tests are skipped (node:test's `skip`). */
export const phpSkip: string | false = existsSync(PHP_CGI) ? false : `${PHP_CGI} is not installed (apt-get install php-cgi; .ci/run installs it)`;
/** test/fixtures/php, without a trailing slash. */
export const phpDocroot = fileURLToPath(new URL('../fixtures/php/', import.meta.url)).replace(/\/$/, '');

/** A php-cgi on a socket handed over as fd 0, one process (PHP_FCGI_CHILDREN=0). */
export async function startPhp(args: readonly string[] = []): Promise<{ child: ChildProcess; address: { path: string }; stderr: string[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-fcgi-'));
  const address = { path: join(dir, 'w.sock') };
  const listener = await openListenSocket(address);
  const child = spawn(PHP_CGI, args, { stdio: [listener.fd, 'pipe', 'pipe'], env: { PATH: process.env.PATH, PHP_FCGI_CHILDREN: '0', PHP_FCGI_MAX_REQUESTS: '0' } });
  listener.close();
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  return {
    child,
    address,
    stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


/** A `protocol: fastcgi` pool of php-cgi serving the PHP fixtures, with quick limits for tests. */
export function phpPool(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { processModel, ...rest } = overrides as { processModel?: Record<string, unknown> };
  return {
    command: [PHP_CGI],
    protocol: 'fastcgi',
    cwd: phpDocroot,
    processModel: { startupTimeLimit: '10s', shutdownTimeLimit: '5s', ...(processModel ?? {}) },
    ...rest,
  };
}
