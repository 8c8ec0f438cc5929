import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startTestHost, get, helloPool, repoRoot, type TestHost } from './helpers/test-host.ts';

let h: TestHost;
after(() => h?.stop());

test('two sites and three pools, one of them Python, are routed by host and longest path', async () => {
  h = await startTestHost({
    sites: [
      { name: 'shop', hosts: ['shop.test', '*'], apps: [{ path: '/', pool: 'web' }, { path: '/api', pool: 'api' }] },
      { name: 'docs', hosts: ['docs.test'], apps: [{ path: '/py', pool: 'py' }] },
    ],
    pools: {
      web: helloPool(),
      api: helloPool(),
      py: { command: ['python3', join(repoRoot, 'examples/apps/py/app.py')], runtime: 'generic', processModel: { startupTimeLimit: '10s' } },
    },
  });
  // On demand: nothing runs before the first request.
  assert.equal(h.host.supervisor.workers().length, 0);

  const web = await get(`${h.url}/`, { headers: { host: 'shop.test' } });
  assert.equal(web.status, 200);
  assert.match(web.body, /hello from web-\d+/);

  const api = await get(`${h.url}/api/anything`, { headers: { host: 'shop.test' } });
  assert.match(api.body, /hello from api-\d+/);

  const other = await get(`${h.url}/api`, { headers: { host: 'unknown.test' } });
  assert.match(other.body, /hello from api-\d+/, '"*" takes hosts no site names');

  const py = await get(`${h.url}/py/`, { headers: { host: 'docs.test:8080' } });
  assert.equal(py.status, 200);
  assert.match(py.body, /hello from Python/);

  const none = await get(`${h.url}/`, { headers: { host: 'docs.test' } });
  assert.equal(none.status, 404, 'the docs site has no app at /');

  const pools = new Set(h.host.supervisor.workers().map((w) => w.pool));
  assert.deepEqual([...pools].sort(), ['api', 'py', 'web']);
});

test('the worker sees X-Forwarded-For, -Proto and -Host, and cannot be told another scheme', async () => {
  const r = await get(`${h.url}/echo-headers`, { headers: { host: 'shop.test', 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.1.2.3' } });
  const headers = JSON.parse(r.body) as Record<string, string>;
  assert.equal(headers['x-forwarded-proto'], 'http');
  assert.equal(headers['x-forwarded-host'], 'shop.test');
  assert.equal(headers['x-forwarded-for'], '10.1.2.3, 127.0.0.1', 'the client address is appended to the list');
});

test('a malformed request gets 400 and names what was wrong', async () => {
  const { connect } = await import('node:net');
  const reply = await new Promise<string>((resolve) => {
    const s = connect(h.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'));
    let text = '';
    s.on('data', (c) => (text += c.toString()));
    s.on('close', () => resolve(text));
  });
  assert.match(reply, /^HTTP\/1\.1 400 /);
});

test('a pool with listen: tcp gets a loopback port in PORT and is served the same way', async () => {
  const t = await startTestHost({ sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'tcp' }] }], pools: { tcp: helloPool({ listen: 'tcp' }) } });
  try {
    const r = await get(`${t.url}/env`);
    assert.equal(r.status, 200);
    const [w] = t.host.supervisor.workers('tcp');
    const port = Number(/PORT=(\d+)/.exec(readFileSync(`/proc/${w.pid}/environ`, 'latin1').replaceAll('\0', '\n'))?.[1]);
    assert.ok(port > 0 && port < 65536, `PORT is a port number: ${port}`);
    assert.match((await get(`${t.url}/`)).body, /hello from tcp-\d+/);
  } finally {
    await t.stop();
  }
});
