import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './index.ts';
import type { HostConfig } from './types.ts';
import { changedPaths, reloadPlan } from './reload-plan.ts';

function config(extra: string, listen = '127.0.0.1:8080'): HostConfig {
  const text = [
    'dataDir: /tmp/pdk-plan',
    `listen: ["${listen}"]`,
    'sites: [{ name: s, hosts: ["*"], apps: [{ path: /, pool: web }] }]',
    extra,
  ].join('\n');
  const r = parseConfig(text, '/tmp/paddock.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

test('a reload lists what it applies and what waits for a restart, key by key', () => {
  const a = config('pools: { web: { command: [node, a.js], processModel: { maxProcesses: 3 } }, old: { command: [node, o.js] } }\nlogs: { maxBytes: 1MB }');
  const b = config('pools: { web: { command: [node, a.js], processModel: { maxProcesses: 1 } }, api: { command: [node, b.js] } }\nlogs: { maxBytes: 2MB, accessFormat: json }\nwebLimits: { connectionTimeout: 5s }\nadmin: { socket: /tmp/other.sock }', '127.0.0.1:9090');
  const plan = reloadPlan(a, b);
  assert.deepEqual(plan.applied, ['pools.api (added)', 'pools.web.processModel.maxProcesses', 'pools.old (removed)', 'webLimits.connectionTimeout']);
  assert.deepEqual(plan.waitsForRestart, ['admin.socket', 'listen', 'logs.accessFormat', 'logs.maxBytes']);
});

test('an unchanged file changes nothing', () => {
  const a = config('pools: { web: { command: [node, a.js] } }');
  assert.deepEqual(reloadPlan(a, config('pools: { web: { command: [node, a.js] } }')), { applied: [], waitsForRestart: [] });
});

test('changedPaths walks objects and treats arrays as leaves', () => {
  assert.deepEqual(changedPaths({ a: 1, b: { c: [1], d: 2 } }, { a: 1, b: { c: [2], d: 2, e: 3 } }, 'x'), ['x.b.c', 'x.b.e']);
  assert.deepEqual(changedPaths(1, 1, 'x'), []);
});
