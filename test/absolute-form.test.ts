/**
 * A request whose target is in absolute-form names its host in the target, and that host wins over
 * the Host field (RFC 9112 §3.2.2): it routes the request, and it is the Host the worker is told,
 * with the target in origin-form. A client cannot reach one site while the app believes another.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fixtures, get, startTestHost, type TestHost } from './helpers/test-host.ts';

let h: TestHost;
after(() => h?.stop());

const echo = { command: ['node', join(fixtures, 'echo-request.mjs')], processModel: { startupTimeLimit: '10s' } };

/** One raw request on its own connection; the whole answer, read until the host closes. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(request));
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

interface Echoed {
  readonly url: string;
  readonly headers: Record<string, string>;
}

function echoed(answer: string): Echoed {
  assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 200));
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Echoed;
}

test('GET http://internal.example/secret with Host: public.example reaches the internal site, whose worker is told Host: internal.example and an origin-form target', async () => {
  h = await startTestHost({
    sites: [
      { name: 'internal', hosts: ['internal.example'], apps: [{ path: '/', pool: 'internal' }] },
      { name: 'public', hosts: ['public.example'], apps: [{ path: '/', pool: 'public' }, { path: '/api', pool: 'stripped', stripPrefix: true }] },
    ],
    pools: { internal: echo, public: echo, stripped: echo },
  });
  const internal = echoed(await raw(h.port, 'GET http://internal.example/secret?x=1 HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n'));
  assert.equal(internal.url, '/secret?x=1', 'origin-form target');
  assert.equal(internal.headers.host, 'internal.example', 'the target\'s authority is the Host');
  assert.equal(internal.headers['x-forwarded-host'], 'internal.example');
  const pid = (internal as unknown as { pid: number }).pid;
  assert.ok(h.host.supervisor.workers('internal').some((w) => w.pid === pid), 'the internal pool answered');
  assert.ok(!h.host.supervisor.workers('public').some((w) => w.pid === pid));

  // The port is the authority's too, and a target with only a query gets "/".
  const ported = echoed(await raw(h.port, 'GET http://Internal.Example:8081?q HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n'));
  assert.equal(ported.url, '/?q');
  assert.equal(ported.headers.host, 'Internal.Example:8081');

  // With stripPrefix the prefix leaves the path as well, and the Host is still the authority's.
  const stripped = echoed(await raw(h.port, 'GET http://public.example/api/users HTTP/1.1\r\nHost: internal.example\r\nConnection: close\r\n\r\n'));
  assert.equal(stripped.url, '/users');
  assert.equal(stripped.headers.host, 'public.example');
  assert.equal(stripped.headers['x-forwarded-prefix'], '/api');

  // An origin-form request keeps its Host and target as sent, and the other pool served meanwhile.
  const plain = await get(`${h.url}/p?x`, { headers: { host: 'public.example' } });
  assert.equal(plain.status, 200);
  const p = JSON.parse(plain.body) as Echoed;
  assert.equal(p.url, '/p?x');
  assert.equal(p.headers.host, 'public.example');
});
