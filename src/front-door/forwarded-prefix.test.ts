import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, type RequestHead } from './http-parser.ts';
import { prefixField, strippedRequestLine } from './forwarded-prefix.ts';

function head(text: string): RequestHead {
  const r = parseRequestHead(Buffer.from(text, 'latin1'));
  assert.equal(r.kind, 'ok');
  return (r as { head: RequestHead }).head;
}

test('X-Forwarded-Prefix names the app\'s path, and nothing at "/"', () => {
  assert.equal(prefixField({ path: '/api', stripPrefix: false }), 'X-Forwarded-Prefix: /api\r\n');
  assert.equal(prefixField({ path: '/', stripPrefix: true }), '');
  assert.equal(prefixField(null), '');
});

test('stripPrefix rewrites the request line only', () => {
  const app = { path: '/api', stripPrefix: true };
  assert.equal(strippedRequestLine(app, head('GET /api/users?id=1 HTTP/1.1\r\nHost: h\r\n\r\n')), 'GET /users?id=1 HTTP/1.1\r\n');
  assert.equal(strippedRequestLine(app, head('DELETE /api HTTP/1.0\r\n\r\n')), 'DELETE / HTTP/1.0\r\n');
  assert.equal(strippedRequestLine(app, head('GET /api?x HTTP/1.1\r\nHost: h\r\n\r\n')), 'GET /?x HTTP/1.1\r\n');
  assert.equal(strippedRequestLine(app, head('GET http://h/api/a HTTP/1.1\r\nHost: h\r\n\r\n')), 'GET /a HTTP/1.1\r\n');
  assert.equal(strippedRequestLine({ path: '/api', stripPrefix: false }, head('GET /api/a HTTP/1.1\r\nHost: h\r\n\r\n')), null);
  assert.equal(strippedRequestLine({ path: '/', stripPrefix: true }, head('GET /a HTTP/1.1\r\nHost: h\r\n\r\n')), null);
});

test('a client\'s X-Forwarded-Prefix is flagged for removal like -Host and -Proto', () => {
  assert.equal(head('GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Prefix: /x\r\n\r\n').hasForwardedHeaders, true);
  assert.equal(head('GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n').hasForwardedHeaders, false);
});
