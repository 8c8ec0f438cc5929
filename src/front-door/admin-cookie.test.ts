import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutAdminCookie } from './admin-cookie.ts';
import { parseRequestHead } from './http-parser.ts';

test('the admin cookie is taken out of a Cookie value; the others stay in order', () => {
  assert.equal(withoutAdminCookie('a=1; paddock_token=T; b=2'), 'a=1; b=2');
  assert.equal(withoutAdminCookie('paddock_token=T'), null);
  assert.equal(withoutAdminCookie('paddock_token=T;paddock_token=U'), null);
  assert.equal(withoutAdminCookie('session=x'), 'session=x');
  assert.equal(withoutAdminCookie('my_paddock_token=x; a=paddock_token'), 'my_paddock_token=x; a=paddock_token', 'only the cookie of that exact name');
});

test('the parser notes a Cookie field that carries the admin cookie, and only that', () => {
  const noted = (fields: string, after = ''): boolean => {
    const r = parseRequestHead(Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\n${fields}\r\n${after}`, 'latin1'));
    assert.equal(r.kind, 'ok');
    return r.kind === 'ok' && r.head.hasAdminCookie;
  };
  assert.equal(noted('Cookie: a=1; paddock_token=T\r\n'), true);
  assert.equal(noted('cookie: paddock_token=T\r\n'), true, 'the field name in any case');
  assert.equal(noted('Cookie: a=1\r\n'), false);
  assert.equal(noted('Cookie: PADDOCK_TOKEN=T\r\n'), false, 'cookie names are case-sensitive');
  assert.equal(noted('X-Note: paddock_token=T\r\n'), false, 'in another field it is no cookie');
  assert.equal(noted('Cookie: a=1\r\n', 'GET /?paddock_token=T HTTP/1.1\r\n\r\n'), false, 'bytes past the head do not count');
});
