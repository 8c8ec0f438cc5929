import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './load.ts';
import { runtimeOf } from './runtime-of.ts';

test('runtime follows the command: Node programs and scripts are node, anything else generic', () => {
  for (const c of [['node', 's.js'], ['/usr/local/bin/node', 's.js'], ['nodejs', 's.js'], ['npm', 'start'], ['npx', 'next', 'start'], ['server.js'], ['./dist/main.mjs'], ['app.cjs']]) {
    assert.equal(runtimeOf(c), 'node', c.join(' '));
  }
  for (const c of [['python3', 'app.py'], ['gunicorn', 'app:app'], ['php', '-S', '127.0.0.1:{port}'], ['/usr/bin/flask', 'run'], ['./server'], ['node-exporter'], []]) {
    assert.equal(runtimeOf(c), 'generic', c.join(' '));
  }
});

test('an unset runtime and listen come from the command; set ones and applicationPoolDefaults win', () => {
  const r = parseConfig([
    'applicationPoolDefaults: { processModel: { pingInterval: 10s } }',
    'pools:',
    '  web: { command: [node, server.js] }',
    '  py: { command: [gunicorn, app:app] }',
    '  pinned: { command: [python3, app.py], runtime: node, listen: unix }',
    '  tcpnode: { command: [node, s.js], listen: tcp }',
  ].join('\n'), '/x/paddock.yaml');
  assert.ok(r.ok);
  const p = r.config.pools;
  assert.deepEqual([p.web.runtime, p.web.listen], ['node', 'unix']);
  assert.deepEqual([p.py.runtime, p.py.listen], ['generic', 'tcp']);
  assert.deepEqual([p.pinned.runtime, p.pinned.listen], ['node', 'unix']);
  assert.deepEqual([p.tcpnode.runtime, p.tcpnode.listen], ['node', 'tcp']);
  const d = parseConfig('applicationPoolDefaults: { runtime: generic }\npools:\n  a: { command: [node, s.js] }\n', '/x/p.yaml');
  assert.ok(d.ok);
  assert.deepEqual([d.config.pools.a.runtime, d.config.pools.a.listen], ['generic', 'tcp']);
});
