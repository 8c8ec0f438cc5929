import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildForwardedHead, originTarget } from './forwarded-head.ts';
import { parseRequestHead } from './http-parser.ts';

const client = { forwardedFor: '10.0.0.9', proto: 'http' };

function forwarded(request: string, app: { path: string; stripPrefix?: boolean } | null = null): string {
  const raw = Buffer.from(request, 'latin1');
  const r = parseRequestHead(raw);
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') throw new Error('unreachable');
  return Buffer.concat(buildForwardedHead(r.head, raw, client, app)).toString('latin1');
}

describe('buildForwardedHead', () => {
  it('gives the worker an absolute-form target\'s authority as Host, and the target in origin-form (RFC 9112 §3.2.2)', () => {
    const out = forwarded('GET http://internal.example:81/secret?a=1 HTTP/1.1\r\nHost: public.example\r\nAccept: */*\r\n\r\n');
    assert.equal(out, 'GET /secret?a=1 HTTP/1.1\r\nHost: internal.example:81\r\nAccept: */*\r\n' +
      'X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: internal.example:81\r\n\r\n');
  });

  it('keeps an origin-form request line and Host as they came', () => {
    const out = forwarded('GET /a?b HTTP/1.1\r\nHost: public.example\r\n\r\n');
    assert.equal(out, 'GET /a?b HTTP/1.1\r\nHost: public.example\r\nX-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: public.example\r\n\r\n');
  });

  it('strips an app\'s prefix from an absolute-form target and still sets the Host', () => {
    const out = forwarded('GET http://h.example/api/x HTTP/1.0\r\nHost: other\r\n\r\n', { path: '/api', stripPrefix: true });
    assert.match(out, /^GET \/x HTTP\/1\.0\r\nHost: h\.example\r\n/);
    assert.doesNotMatch(out, /Host: other/);
    assert.match(out, /X-Forwarded-Prefix: \/api\r\n\r\n$/);
  });
});

describe('originTarget', () => {
  it('takes the scheme and authority off', () => {
    assert.equal(originTarget('http://h/a/b?c'), '/a/b?c');
    assert.equal(originTarget('https://h:8443'), '/');
    assert.equal(originTarget('http://h?q=1'), '/?q=1');
    assert.equal(originTarget('http://[::1]:80/p'), '/p');
  });
});
