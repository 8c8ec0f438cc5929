/**
 * The probes and one whole session against a real php-cgi (Debian's php-cgi; skipped with a
 * message where it is missing), started the way the pool starts it: socket on fd 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastcgiArgv, fastcgiEnv, openListenSocket } from '../../supervisor/fastcgi-worker.ts';
import { POOL_DEFAULTS } from '../../config/defaults.ts';
import type { PoolConfig } from '../../config/types.ts';
import { getScript, getValues } from './fastcgi-probe.ts';
import { FastCgiSession } from './fastcgi-session.ts';

const PHP_CGI = '/usr/bin/php-cgi';
const docroot = fileURLToPath(new URL('../../../test/fixtures/php/', import.meta.url)).replace(/\/$/, '');
const skip = existsSync(PHP_CGI) ? false : `${PHP_CGI} is not installed (apt-get install php-cgi)`;

async function startPhp(): Promise<{ child: ChildProcess; address: { path: string }; stderr: string[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-fcgi-'));
  const address = { path: join(dir, 'w.sock') };
  const pool: PoolConfig = { ...POOL_DEFAULTS, name: 'php', command: [PHP_CGI], cwd: docroot, documentRoot: docroot, protocol: 'fastcgi' };
  const listener = await openListenSocket(address);
  const argv = fastcgiArgv(pool, pool.command);
  const env = fastcgiEnv(pool);
  const child = spawn(argv[0], argv.slice(1), { stdio: [listener.fd, 'pipe', 'pipe'], env: { PATH: process.env.PATH, ...env.defaults, ...env.forced } });
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

test('FCGI_GET_VALUES is answered by a php-cgi started on fd 0 (ready, and a ping)', { skip }, async () => {
  const php = await startPhp();
  try {
    const first = await getValues(php.address, 5_000);
    assert.equal(first.kind, 'answered', JSON.stringify(first));
    if (first.kind === 'answered') assert.equal(first.values.get('FCGI_MPXS_CONNS'), '0');
    // The socket file stayed although the host closed its own copy.
    assert.ok(existsSync(php.address.path));
    const again = await getValues(php.address, 5_000);
    assert.equal(again.kind, 'answered');
  } finally {
    await php.stop();
  }
});

test('a probe waits behind a kept connection, and is answered once that connection closes', { skip }, async () => {
  const php = await startPhp();
  try {
    const held = connect(php.address.path);
    await new Promise((r) => held.once('connect', r));
    // php-cgi now reads `held`; a probe cannot be answered until it is gone.
    const probe = getValues(php.address, 5_000);
    const early = await Promise.race([probe, new Promise((r) => setTimeout(() => r('waiting'), 300))]);
    assert.equal(early, 'waiting');
    held.destroy();
    assert.equal((await probe).kind, 'answered');
    // A probe that is never let in fails at its limit.
    const held2 = connect(php.address.path);
    await new Promise((r) => held2.once('connect', r));
    const late = await getValues(php.address, 300);
    assert.equal(late.kind, 'failed');
    held2.destroy();
  } finally {
    await php.stop();
  }
});

test('a pingPath script answers through a FastCGI request; a missing one is a 404', { skip }, async () => {
  const php = await startPhp();
  try {
    const ok = await getScript(php.address, '/index.php', docroot, 5_000);
    assert.equal(ok.kind === 'answered' ? ok.status : ok.reason, 200);
    const missing = await getScript(php.address, '/no-such-script.php', docroot, 5_000);
    assert.equal(missing.kind === 'answered' ? missing.status : missing.reason, 404);
  } finally {
    await php.stop();
  }
});

test('a whole session: params, stdin, stdout as HTTP, and a fatal error on the process stderr with its line', { skip }, async () => {
  const php = await startPhp();
  try {
    const run = (script: string, query: string, body: Buffer | null): Promise<{ http: string; stderr: string }> => new Promise((resolve, reject) => {
      const session = new FastCgiSession({ method: body ? 'POST' : 'GET', versionMinor: 1, keepAlive: true }, (d) => errs.push(d));
      const errs: Buffer[] = [];
      const out: Buffer[] = [];
      const s = connect(php.address.path);
      s.on('data', (chunk: Buffer) => {
        const r = session.read(chunk);
        out.push(...r.out);
        if (r.kind === 'error') reject(new Error(r.message));
        if (r.kind === 'ended') {
          s.destroy();
          resolve({ http: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(errs).toString() });
        }
      });
      const params: Array<[string, string]> = [['SCRIPT_FILENAME', docroot + script], ['SCRIPT_NAME', script], ['REQUEST_METHOD', body ? 'POST' : 'GET'], ['QUERY_STRING', query], ['REDIRECT_STATUS', '200']];
      if (body) params.push(['CONTENT_LENGTH', String(body.length)], ['CONTENT_TYPE', 'application/x-www-form-urlencoded']);
      s.write(session.begin(params, body !== null));
      if (body) {
        for (const part of session.stdin(body)) s.write(part);
        s.write(session.endStdin());
      }
    });
    const get = await run('/query.php', 'a=1&b=two', null);
    assert.match(get.http, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(get.http, /Content-Length: \d+\r\n/);
    assert.deepEqual(JSON.parse(get.http.slice(get.http.indexOf('\r\n\r\n') + 4)).get, { a: '1', b: 'two' });
    const post = await run('/form.php', '', Buffer.from('quantity=100&item=3047936'));
    assert.deepEqual(JSON.parse(post.http.slice(post.http.indexOf('\r\n\r\n') + 4)).post, { quantity: '100', item: '3047936' });
    const fatal = await run('/fatal.php', '', null);
    assert.match(fatal.http, /^HTTP\/1\.1 500 Internal Server Error\r\n/);
    // fastcgi.logging=0: the error went to the process's stderr, not into FCGI_STDERR.
    assert.equal(fatal.stderr, '');
    const deadline = Date.now() + 2_000;
    while (!php.stderr.join('').includes('calculate_shipping') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(php.stderr.join(''), /PHP Fatal error: {2}Uncaught Error: Call to undefined function calculate_shipping\(\) in .*fatal\.php:8/);
  } finally {
    await php.stop();
  }
});
