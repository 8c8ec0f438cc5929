import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './load.ts';

const pool = (limits: string): string => `pools:\n  web:\n    command: [node, app.js]\n    ${limits}\n`;

test('limits default to none, and memory parses like the other memory keys (IIS kilobytes, "512MB")', () => {
  const none = parseConfig(pool(''), '/srv/paddock.yaml');
  assert.ok(none.ok, JSON.stringify(!none.ok && none.errors));
  assert.deepEqual(none.config.pools.web.limits, { memory: 0, tasks: 0 });
  const kb = parseConfig(pool('limits: { memory: 524288, tasks: 64 }'), '/srv/paddock.yaml');
  assert.ok(kb.ok, JSON.stringify(!kb.ok && kb.errors));
  assert.deepEqual(kb.config.pools.web.limits, { memory: 512 * 1024 * 1024, tasks: 64 });
  const text = parseConfig(pool('limits: { memory: 512MB }'), '/srv/paddock.yaml');
  assert.ok(text.ok);
  assert.equal(text.config.pools.web.limits.memory, 512 * 1024 * 1024);
});

test('a bad limit is an error naming its key', () => {
  const r = parseConfig(pool('limits: { memory: lots, tasks: -1, task: 5 }'), '/srv/paddock.yaml');
  assert.ok(!r.ok);
  const paths = r.errors.map((e) => e.path);
  assert.ok(paths.includes('pools.web.limits.memory'), paths.join(', '));
  assert.ok(paths.includes('pools.web.limits.tasks'), paths.join(', '));
  assert.ok(paths.includes('pools.web.limits.task'), paths.join(', '));
});
