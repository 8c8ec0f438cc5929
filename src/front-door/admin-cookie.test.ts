import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mentionsAdminCookie, withoutAdminCookie } from './admin-cookie.ts';

test('the admin cookie is taken out of a Cookie value; the others stay in order', () => {
  assert.equal(withoutAdminCookie('a=1; paddock_token=T; b=2'), 'a=1; b=2');
  assert.equal(withoutAdminCookie('paddock_token=T'), null);
  assert.equal(withoutAdminCookie('paddock_token=T;paddock_token=U'), null);
  assert.equal(withoutAdminCookie('session=x'), 'session=x');
  assert.equal(withoutAdminCookie('my_paddock_token=x; a=paddock_token'), 'my_paddock_token=x; a=paddock_token', 'only the cookie of that exact name');
});

test('a head is scanned for the name only within its bounds', () => {
  const raw = Buffer.from('GET / HTTP/1.1\r\nCookie: paddock_token=T\r\n\r\n', 'latin1');
  assert.ok(mentionsAdminCookie(raw, 0, raw.length));
  assert.ok(!mentionsAdminCookie(raw, 0, 20));
});
