/**
 * One whole request through FastCgiSession against a real php-cgi started as the pool starts it
 * (socket on fd 0, Paddock's php-cgi settings): the CGI answer as HTTP, and a PHP fatal error on
 * the process's stderr with its file and line (fastcgi.logging=0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PHP_CGI_SETTINGS } from '../supervisor/fastcgi-worker.ts';
import { FastCgiSession } from './fastcgi-session.ts';
import { phpDocroot as docroot, phpSkip as skip, startPhp } from '../../test/helpers/php-cgi.ts';

test('a whole session: params, stdin, stdout as HTTP, and a fatal error on the process stderr with its line', { skip }, async () => {
  const php = await startPhp(PHP_CGI_SETTINGS);
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
