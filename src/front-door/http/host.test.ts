import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeHost } from './host.ts';
import { parseRequestHead } from './request-head.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function errReq(s: string, status: number, code?: string, maxHead?: number, maxTarget?: number): void {
  const r = parseRequestHead(b(s), maxHead, maxTarget);
  assert.equal(r.kind, 'error', `expected error for ${JSON.stringify(s)}, got ${JSON.stringify(r)}`);
  const e = r as { status: number; code: string; reason: string };
  assert.equal(e.status, status, `status for ${JSON.stringify(s)} (${e.code})`);
  if (code !== undefined) assert.equal(e.code, code, `code for ${JSON.stringify(s)}`);
  assert.ok(e.reason.length > 0);
}

describe('parseRequestHead: host normalisation', () => {
  it('lower-cases and strips the port', () => {
    assert.equal(normalizeHost('Example.COM:8080'), 'example.com');
    assert.equal(normalizeHost('example.com'), 'example.com');
    assert.equal(normalizeHost('example.com:'), 'example.com');
    assert.equal(normalizeHost('[::1]:8080'), '[::1]');
    assert.equal(normalizeHost('[FE80::1]'), '[fe80::1]');
    assert.equal(normalizeHost('127.0.0.1:80'), '127.0.0.1');
    assert.equal(normalizeHost('xn--bcher-kva.example'), 'xn--bcher-kva.example');
  });

  it('refuses what is not a uri-host', () => {
    for (const bad of ['a@b', 'a:b:c', '[::1', '[::1]x', '[::1]:x', 'a:123456', 'a/b', 'a\\b', 'a b', 'a?b', 'a#b', '::1', '\xe9.example', 'a[b]']) {
      assert.equal(normalizeHost(bad), null, bad);
    }
    errReq('GET / HTTP/1.1\r\nHost: a@b\r\n\r\n', 400, 'INVALID_HOST');
    errReq('GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400, 'INVALID_HOST');
  });
});
