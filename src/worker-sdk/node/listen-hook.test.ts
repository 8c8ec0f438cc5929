import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPortAddress, redirectedListen } from './listen-hook.mjs';

describe('isPortAddress', () => {
  it('matches a unix socket path, relative or absolute', () => {
    assert.equal(isPortAddress('/run/paddock/web-1.sock', '/run/paddock/web-1.sock'), true);
    assert.equal(isPortAddress('web-1.sock', `${process.cwd()}/web-1.sock`), true);
    assert.equal(isPortAddress('/run/paddock/web-2.sock', '/run/paddock/web-1.sock'), false);
  });

  it('matches a TCP port on any address', () => {
    assert.equal(isPortAddress({ address: '127.0.0.1', family: 'IPv4', port: 40123 }, '40123'), true);
    assert.equal(isPortAddress({ address: '::', family: 'IPv6', port: 40123 }, '40123'), true);
    assert.equal(isPortAddress({ address: '::', family: 'IPv6', port: 9100 }, '40123'), false);
  });

  it('never matches across kinds or without an address', () => {
    assert.equal(isPortAddress({ address: '::', family: 'IPv6', port: 3000 }, '/tmp/3000'), false);
    assert.equal(isPortAddress('3000', '3000'), false);
    assert.equal(isPortAddress(null, '3000'), false);
    assert.equal(isPortAddress({ address: '::', family: 'IPv6', port: 3000 }, ''), false);
  });
});

describe('redirectedListen', () => {
  const cb = () => {};
  const sock = '/run/paddock/web-1.sock';

  it('binds the socket for a listen on the numeric PORT, whatever the host', () => {
    assert.deepEqual(redirectedListen([40123], '40123', sock), [{ path: sock }]);
    assert.deepEqual(redirectedListen(['40123', cb], '40123', sock), [{ path: sock }, cb]);
    assert.deepEqual(redirectedListen([40123, '0.0.0.0', 511, cb], '40123', sock), [{ path: sock, backlog: 511 }, cb]);
    assert.deepEqual(redirectedListen([40123, 64], '40123', sock), [{ path: sock, backlog: 64 }]);
    // Fastify: listen({ port: process.env.PORT, host: 'localhost' }); and Number(PORT) alike.
    assert.deepEqual(redirectedListen([{ port: '40123', host: 'localhost', backlog: 100 }], '40123', sock), [{ path: sock, backlog: 100 }]);
    assert.deepEqual(redirectedListen([{ port: 40123, host: '::', ipv6Only: true }, cb], '40123', sock), [{ path: sock }, cb]);
    assert.deepEqual(redirectedListen([{ path: '40123' }], '40123', sock), [{ path: sock }]);
  });

  it('maps { port: PATH } onto the path when PORT is a socket path', () => {
    assert.deepEqual(redirectedListen([{ port: sock, host: 'localhost' }, cb], sock, ''), [{ path: sock }, cb]);
    // listen(path) works in Node already: left alone.
    assert.equal(redirectedListen([sock], sock, ''), null);
  });

  it('leaves every other listen alone', () => {
    assert.equal(redirectedListen([3000], '40123', sock), null);
    assert.equal(redirectedListen([0, '127.0.0.1'], '40123', sock), null);
    assert.equal(redirectedListen([{ port: 9229 }], '40123', sock), null);
    assert.equal(redirectedListen([{ fd: 3 }], '40123', sock), null);
    assert.equal(redirectedListen(['/tmp/other.sock'], '40123', sock), null);
    // A TCP pool (no socket to redirect to) listens where PORT says.
    assert.equal(redirectedListen([40123], '40123', ''), null);
    assert.equal(redirectedListen([40123], '', sock), null);
  });
});
