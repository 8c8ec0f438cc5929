import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { runAction } from './run-action.ts';
import { parseConfig } from '../config/index.ts';

test('an action that runs past its time limit is killed, and the result says after which limit', async () => {
  const started = Date.now();
  const r = await runAction([process.execPath, '-e', 'setTimeout(() => {}, 60_000)'], tmpdir(), 300);
  assert.equal(r.code, null);
  assert.equal(r.error, 'killed after its time limit of 300 ms');
  assert.ok(Date.now() - started < 30_000);
});

test('an action within its limit reports its exit code and output', async () => {
  const r = await runAction([process.execPath, '-e', 'console.log("done"); process.exit(3)'], tmpdir(), 30_000);
  assert.equal(r.code, 3);
  assert.equal(r.error, null);
  assert.match(r.output, /done/);
});

test('orphanActionTimeLimit and autoShutdownActionTimeLimit are pool keys, 60 s by default', () => {
  const text = [
    'pools:',
    '  a: { command: [node, a.js] }',
    '  b: { command: [node, b.js], failure: { orphanActionTimeLimit: "5s", autoShutdownActionTimeLimit: "00:02:00" } }',
    'sites: [{ name: s, hosts: ["*"], apps: [{ path: /, pool: a }] }]',
  ].join('\n');
  const r = parseConfig(text, '/tmp/paddock.yaml');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  if (!r.ok) return;
  assert.equal(r.config.pools.a.failure.orphanActionTimeLimit, 60_000);
  assert.equal(r.config.pools.a.failure.autoShutdownActionTimeLimit, 60_000);
  assert.equal(r.config.pools.b.failure.orphanActionTimeLimit, 5_000);
  assert.equal(r.config.pools.b.failure.autoShutdownActionTimeLimit, 120_000);
  const bad = parseConfig(text.replace('"5s"', '"0s"'), '/tmp/paddock.yaml');
  assert.equal(bad.ok, false, 'a limit of 0 is refused');
});
