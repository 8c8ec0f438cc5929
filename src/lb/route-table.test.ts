import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeTable } from './route-table.ts';
import { Router } from '../front-door/router.ts';
import type { SiteConfig } from '../config/types.ts';

const sites: SiteConfig[] = [
  { name: 'shop', hosts: ['shop.example', 'www.shop.example'], apps: [{ path: '/', pool: 'web' }, { path: '/api', pool: 'api' }] },
  { name: 'blog', hosts: ['*.example'], apps: [{ path: '/admin', pool: 'api' }] },
  { name: 'deep', hosts: ['*.eu.example'], apps: [{ path: '/', pool: 'eu' }] },
  { name: 'any', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/static/img', pool: 'static' }] },
];

test('groups come most specific first: exact names (sharing apps), longer suffixes, then *', () => {
  const t = routeTable(sites);
  assert.deepEqual(t.map((g) => g.match), [
    { kind: 'exact', hosts: ['shop.example', 'www.shop.example'] },
    { kind: 'suffix', suffix: '.eu.example' },
    { kind: 'suffix', suffix: '.example' },
    { kind: 'any' },
  ]);
  assert.deepEqual(t[0].apps.map((a) => a.path), ['/api', '/']);
  assert.deepEqual(t[3].apps.map((a) => a.path), ['/static/img', '/']);
});

/** Routes a request through the table as a balancer does: first group by host, first app by prefix. */
function viaTable(host: string | null, path: string): string | null {
  for (const g of routeTable(sites)) {
    const m = g.match;
    const hit = m.kind === 'any' || (host !== null && (m.kind === 'exact' ? m.hosts.includes(host) : host.endsWith(m.suffix)));
    if (!hit) continue;
    const app = g.apps.find((a) => a.path === '/' || path === a.path || path.startsWith(a.path + '/'));
    return app?.pool ?? null;
  }
  return null;
}

test('the table routes every request where the front door does', () => {
  const router = new Router(sites);
  const hosts = [null, 'shop.example', 'www.shop.example', 'blog.example', 'x.eu.example', 'other.test'];
  const paths = ['/', '/api', '/api/x', '/apix', '/admin', '/admin/y', '/static/img/a.png', '/static/imgs'];
  for (const host of hosts) {
    for (const path of paths) assert.equal(viaTable(host, path), router.route(host, path), `${host} ${path}`);
  }
});
