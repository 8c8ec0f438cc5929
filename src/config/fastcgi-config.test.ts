import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './load.ts';
import { formatConfigError } from './config-error.ts';

const file = '/srv/host/paddock.yaml';

function pool(yaml: string) {
  const r = parseConfig(yaml, file);
  if (!r.ok) assert.fail(r.errors.map((e) => formatConfigError(e, file)).join('\n'));
  return r.config.pools;
}

function problems(yaml: string): string[] {
  const r = parseConfig(yaml, file);
  if (r.ok) assert.fail('expected the file to be refused');
  return r.errors.map((e) => formatConfigError(e, 'f'));
}

test('protocol defaults to http; a FastCGI pool runs no Node SDK unless asked, and its documentRoot defaults to cwd', () => {
  const pools = pool(`
pools:
  web: { command: [node, server.js] }
  php: { command: [php-cgi], protocol: fastcgi, cwd: sites/shop }
  phpnode: { command: [node, fcgi.js], protocol: fastcgi, runtime: node, documentRoot: /var/www/x }
`);
  assert.equal(pools.web.protocol, 'http');
  assert.equal(pools.web.runtime, 'node');
  assert.equal(pools.php.protocol, 'fastcgi');
  assert.equal(pools.php.runtime, 'generic');
  assert.equal(pools.php.documentRoot, '/srv/host/sites/shop');
  assert.equal(pools.phpnode.runtime, 'node');
  assert.equal(pools.phpnode.documentRoot, '/var/www/x');
});

test('documentRoot is relative to the config file, and inherits from applicationPoolDefaults', () => {
  const pools = pool(`
applicationPoolDefaults: { protocol: fastcgi, command: [php-cgi] }
pools:
  a: { documentRoot: www/a }
  b: {}
`);
  assert.equal(pools.a.documentRoot, '/srv/host/www/a');
  assert.equal(pools.b.protocol, 'fastcgi');
  assert.equal(pools.b.documentRoot, '/srv/host');
});

test('a bad protocol, and a documentRoot on an HTTP pool, are named with their keys', () => {
  assert.match(problems('pools:\n  p: { command: [php-cgi], protocol: fcgi }\n').join('\n'), /pools\.p\.protocol: must be one of http, fastcgi, got "fcgi"/);
  assert.match(problems('pools:\n  p: { command: [php-cgi], documentRoot: www }\n').join('\n'), /pools\.p\.documentRoot: pool 'p' speaks http: documentRoot is for FastCGI pools/);
  assert.match(problems('pools:\n  p: { command: [php-cgi], protocol: fastcgi, documentRoot: "" }\n').join('\n'), /pools\.p\.documentRoot: must not be empty/);
});
