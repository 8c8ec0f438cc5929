import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from './router.ts';

const router = new Router([
  { name: 'shop', hosts: ['shop.example', '*'], apps: [{ path: '/', pool: 'web' }, { path: '/api', pool: 'api' }, { path: '/api/v2', pool: 'api2' }] },
  { name: 'docs', hosts: ['docs.example'], apps: [{ path: '/py', pool: 'py' }] },
  { name: 'wild', hosts: ['*.wild.example'], apps: [{ path: '/', pool: 'wild' }] },
]);

test('the longest path prefix wins', () => {
  assert.equal(router.route('shop.example', '/'), 'web');
  assert.equal(router.route('shop.example', '/api'), 'api');
  assert.equal(router.route('shop.example', '/api/users'), 'api');
  assert.equal(router.route('shop.example', '/api/v2/users'), 'api2');
  assert.equal(router.route('shop.example', '/apiary'), 'web', 'a prefix matches whole segments only');
});

test('the Host header picks the site; "*" takes the rest', () => {
  assert.equal(router.route('docs.example', '/py/x'), 'py');
  assert.equal(router.route('docs.example', '/'), null, 'no app of the docs site matches: 404');
  assert.equal(router.route('other.example', '/api'), 'api');
  assert.equal(router.route(null, '/'), 'web');
});

test('wildcard subdomains', () => {
  assert.equal(router.route('a.wild.example', '/x'), 'wild');
});

test('no site for the host and no "*": null', () => {
  const r = new Router([{ name: 's', hosts: ['a.example'], apps: [{ path: '/', pool: 'p' }] }]);
  assert.equal(r.route('b.example', '/'), null);
});
