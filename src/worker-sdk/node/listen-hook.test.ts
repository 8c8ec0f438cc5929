import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPortAddress } from './listen-hook.mjs';

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
