import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { canonicalIp, coversBinding, decodeProcAddress, matchInheritedSockets, takeInheritedSockets, tcpAddressOf } from './listen-fds.ts';

test('/proc/net addresses decode in host byte order', () => {
  assert.equal(decodeProcAddress('0100007F', 'LE'), '127.0.0.1');
  assert.equal(decodeProcAddress('7F000001', 'BE'), '127.0.0.1');
  assert.equal(decodeProcAddress('00000000', 'LE'), '0.0.0.0');
  assert.equal(decodeProcAddress('00000000000000000000000001000000', 'LE'), '0:0:0:0:0:0:0:1');
  assert.equal(decodeProcAddress('00000000000000000000000000000000', 'LE'), '0:0:0:0:0:0:0:0');
  assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F', 'LE'), '127.0.0.1', 'IPv4-mapped');
});

test('addresses compare in one spelling, and a binding covers what it asks for', () => {
  assert.equal(canonicalIp('::1'), '0:0:0:0:0:0:0:1');
  assert.equal(canonicalIp('2001:DB8::1:0'), '2001:db8:0:0:0:0:1:0');
  assert.equal(canonicalIp('::ffff:10.0.0.1'), '10.0.0.1');
  assert.ok(coversBinding({ host: '127.0.0.1', port: 80 }, { host: '127.0.0.1', port: 80 }));
  assert.ok(!coversBinding({ host: '127.0.0.1', port: 81 }, { host: '127.0.0.1', port: 80 }));
  assert.ok(coversBinding({ host: '0:0:0:0:0:0:0:0', port: 80 }, { host: '', port: 80 }), '":80" is every address: systemd\'s ListenStream=80');
  assert.ok(coversBinding({ host: '0.0.0.0', port: 80 }, { host: '', port: 80 }));
  assert.ok(coversBinding({ host: '0:0:0:0:0:0:0:1', port: 80 }, { host: '::1', port: 80 }));
  assert.ok(coversBinding({ host: '127.0.0.1', port: 80 }, { host: 'localhost', port: 80 }));
  assert.ok(!coversBinding({ host: '10.0.0.1', port: 80 }, { host: '127.0.0.1', port: 80 }));
});

test('passed sockets are matched to bindings by address; the rest are served too', () => {
  const a = { fd: 3, name: 'paddock', address: { host: '127.0.0.1', port: 8080 } };
  const b = { fd: 4, name: 'paddock', address: { host: '0:0:0:0:0:0:0:0', port: 8443 } };
  const c = { fd: 5, name: 'extra', address: { host: '127.0.0.1', port: 9000 } };
  const { forBinding, extra } = matchInheritedSockets([a, b, c], [{ host: '', port: 8443 }, { host: '127.0.0.1', port: 8080 }, { host: '127.0.0.1', port: 7000 }]);
  assert.equal(forBinding.get(0), b);
  assert.equal(forBinding.get(1), a);
  assert.equal(forBinding.has(2), false, 'a binding without a passed socket is opened as usual');
  assert.deepEqual(extra, [c]);
});

test('LISTEN_* are read for this pid only, and removed either way', () => {
  const env: NodeJS.ProcessEnv = { LISTEN_FDS: '2', LISTEN_PID: '1', LISTEN_FDNAMES: 'a:b' };
  assert.deepEqual(takeInheritedSockets(env, 2), []);
  assert.deepEqual(env, {});
  const none: NodeJS.ProcessEnv = {};
  assert.deepEqual(takeInheritedSockets(none, 2), []);
});

test('the address of a listening descriptor comes from its inode', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    assert.deepEqual(tcpAddressOf(fd), { host: '127.0.0.1', port: (server.address() as { port: number }).port });
    assert.equal(tcpAddressOf(0), null, 'not a TCP socket');
  } finally {
    server.close();
  }
});
