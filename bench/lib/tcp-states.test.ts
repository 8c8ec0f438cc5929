import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { closeWaitCount, listenCount } from './tcp-states.ts';
import { waitFor } from './http-probe.ts';

test('a connection the client closed and the server never did is counted in CLOSE_WAIT', async () => {
  const held: net.Socket[] = [];
  // A server that takes connections and never closes them: the hung worker's side.
  const server = net.createServer({ allowHalfOpen: true }, (s) => held.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    assert.equal(closeWaitCount(port), 0);
    const client = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    await waitFor('the server to accept', () => held.length === 1, 2000, 5);
    client.end();
    await waitFor('CLOSE_WAIT', () => closeWaitCount(port) === 1, 2000, 10);
    held[0].destroy();
    await waitFor('the socket to close', () => closeWaitCount(port) === 0, 2000, 10);
  } finally {
    for (const s of held) s.destroy();
    server.close();
  }
});

test('each SO_REUSEPORT listener on a port is counted, and none once they close', async () => {
  const listen = (port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen({ port, host: '127.0.0.1', reusePort: true }, () => resolve(s));
    });
  const first = await listen(0);
  const port = (first.address() as net.AddressInfo).port;
  const second = await listen(port);
  try {
    assert.equal(listenCount(port), 2);
  } finally {
    await new Promise((resolve) => first.close(resolve));
    await new Promise((resolve) => second.close(resolve));
  }
  assert.equal(listenCount(port), 0);
});
