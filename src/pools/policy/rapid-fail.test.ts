import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RapidFailWindow } from './rapid-fail.ts';

test('trips on exactly the maximum number of failures within the window', () => {
  const w = new RapidFailWindow({ enabled: true, intervalMs: 60_000, maxFailures: 3 });
  assert.equal(w.record('crash', 0), false);
  assert.equal(w.record('pingMissed', 10_000), false);
  assert.equal(w.record('crash', 20_000), true);
});

test('failures older than the window no longer count', () => {
  const w = new RapidFailWindow({ enabled: true, intervalMs: 60_000, maxFailures: 3 });
  w.record('crash', 0);
  w.record('crash', 1_000);
  assert.equal(w.record('crash', 61_500), false, 'the first two fell out of the window');
  assert.equal(w.count(61_500), 1);
  assert.equal(w.record('crash', 62_000), false);
  assert.equal(w.record('crash', 62_500), true);
});

test('disabled protection counts but never trips', () => {
  const w = new RapidFailWindow({ enabled: false, intervalMs: 60_000, maxFailures: 1 });
  assert.equal(w.record('crash', 0), false);
  assert.equal(w.count(0), 1);
});

test('clear forgets every failure', () => {
  const w = new RapidFailWindow({ enabled: true, intervalMs: 60_000, maxFailures: 2 });
  w.record('crash', 0);
  w.clear();
  assert.equal(w.record('crash', 1), false);
  assert.deepEqual(w.recent(1).map((f) => f.kind), ['crash']);
});
