import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fixtures, get, startTestHost } from './helpers/test-host.ts';

interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A raw request, for targets node:http would not send (absolute-form). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (c) => (out += c));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('an app below "/" gets X-Forwarded-Prefix, and with stripPrefix a path without it', async () => {
  const h = await startTestHost({
    sites: [{
      name: 's', hosts: ['*'],
      apps: [{ path: '/', pool: 'echo' }, { path: '/api', pool: 'echo' }, { path: '/shop/v2', pool: 'echo', stripPrefix: true }],
    }],
    pools: { echo: { command: ['node', join(fixtures, 'echo-request.mjs')], processModel: { startupTimeLimit: '10s' } } },
  });
  try {
    const at = async (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Echo> => {
      const r = await get(`${h.url}${path}`, init);
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body) as Echo;
    };
    const root = await at('/a/b');
    assert.equal(root.url, '/a/b');
    assert.equal(root.headers['x-forwarded-prefix'], undefined, 'an app at "/" has no prefix to tell');

    const api = await at('/api/users?x=1');
    assert.equal(api.url, '/api/users?x=1', 'without stripPrefix the path is left whole');
    assert.equal(api.headers['x-forwarded-prefix'], '/api');

    assert.equal((await at('/shop/v2/items/42?q=a%20b')).url, '/items/42?q=a%20b');
    assert.equal((await at('/shop/v2')).url, '/');
    assert.equal((await at('/shop/v2/')).url, '/');
    assert.equal((await at('/shop/v2?page=2')).url, '/?page=2');
    const post = await at('/shop/v2/orders', { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json', 'x-forwarded-prefix': '/evil', 'x-forwarded-for': '10.0.0.9' } });
    assert.equal(post.method, 'POST');
    assert.equal(post.url, '/orders');
    assert.equal(post.body, '{"n":1}');
    assert.equal(post.headers['x-forwarded-prefix'], '/shop/v2', "the client's own prefix is dropped");
    assert.equal(post.headers['content-type'], 'application/json');
    assert.match(post.headers['x-forwarded-for'], /^10\.0\.0\.9, 127\.0\.0\.1$/);

    // An absolute-form target (RFC 9112 §3.2.2) is stripped too and reaches the worker in origin-form.
    const abs = await raw(h.port, 'GET http://example.test/shop/v2/x?y=1 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n');
    assert.match(abs, /^HTTP\/1\.1 200/);
    assert.equal((JSON.parse(abs.slice(abs.indexOf('\r\n\r\n') + 4)) as Echo).url, '/x?y=1');
  } finally {
    await h.stop();
  }
});
