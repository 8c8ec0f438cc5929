import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestHost, helloPool, oneSite, type TestHost } from './helpers/test-host.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({ webLimits: { headerWaitTimeout: '300ms', connectionTimeout: '600ms' }, sites: oneSite('web'), pools: { web: helloPool() } });
});
after(() => h?.stop());

/** Opens a connection, writes `text`, and collects what comes back until the host closes it. */
function exchange(text: string): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = connect(h.port, '127.0.0.1', () => s.write(text));
    let reply = '';
    s.on('data', (c) => (reply += c.toString()));
    s.on('close', () => resolve({ reply, ms: Date.now() - started }));
    s.on('error', reject);
    setTimeout(() => s.destroy(new Error('the host never closed the connection')), 10_000).unref();
  });
}

test('a request head that trickles in past headerWaitTimeout gets 408 and the connection closes', async () => {
  const { reply } = await exchange('GET / HTTP/1.1\r\nHost: a\r\n');
  assert.match(reply, /^HTTP\/1\.1 408 /);
});

test('an idle keep-alive connection is closed after connectionTimeout, after its answer', async () => {
  const { reply, ms } = await exchange('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.match(reply, /hello from web-/);
  assert.ok(ms >= 500, `closed after ${ms} ms`);
});
