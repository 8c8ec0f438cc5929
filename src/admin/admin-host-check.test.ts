import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { hostAllowed, hostName } from './admin-host-check.ts';

const req = (host: string | undefined, localAddress = '127.0.0.1'): IncomingMessage => ({ headers: { host }, socket: { localAddress } }) as unknown as IncomingMessage;

test('Host is read without its port or brackets', () => {
  assert.equal(hostName('Example.COM:8443'), 'example.com');
  assert.equal(hostName('[::1]:9180'), '::1');
  assert.equal(hostName('10.0.0.5'), '10.0.0.5');
  assert.equal(hostName(undefined), null);
});

test('the binding answers its address, localhost, the address the connection reached, and admin.hosts', () => {
  assert.ok(hostAllowed(req('localhost:9180'), '127.0.0.1', []));
  assert.ok(hostAllowed(req('127.0.0.1:9180'), '127.0.0.1', []));
  assert.ok(hostAllowed(req('10.0.0.5:9180', '10.0.0.5'), '0.0.0.0', []), 'a wildcard binding: the address reached');
  assert.ok(hostAllowed(req('[::1]:9180', '::1'), '::', []));
  assert.ok(hostAllowed(req('ops.example.com'), '127.0.0.1', ['ops.example.com']));
  assert.ok(hostAllowed(req('a.ops.example.com'), '127.0.0.1', ['*.ops.example.com']));
  assert.ok(!hostAllowed(req('ops.example.com'), '127.0.0.1', ['*.ops.example.com']));
  assert.ok(!hostAllowed(req('evil.example'), '127.0.0.1', []), 'DNS rebinding: a name that resolves here but is not ours');
  assert.ok(!hostAllowed(req(undefined), '127.0.0.1', []), 'no Host at all');
});
