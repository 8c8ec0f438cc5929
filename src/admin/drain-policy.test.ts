import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activityOf, judgeDrain, openWindow } from './drain-policy.ts';

test('a quiet host exits idleTime after the drain began, not before', () => {
  const w = openWindow(1_000, 500, 10_000, { busy: 0, seen: 7 });
  assert.equal(judgeDrain(w, { busy: 0, seen: 7 }, 1_499).kind, 'wait');
  const v = judgeDrain(w, { busy: 0, seen: 7 }, 1_500);
  assert.equal(v.kind, 'exit');
  assert.equal(v.kind === 'exit' && v.end, 'idle');
});

test('a request in flight or a new arrival restarts the quiet time', () => {
  let w = openWindow(0, 500, 10_000, { busy: 0, seen: 0 });
  let v = judgeDrain(w, { busy: 2, seen: 0 }, 400);
  assert.equal(v.kind, 'wait');
  w = v.window;
  assert.equal(w.lastActivityAt, 400);
  v = judgeDrain(w, { busy: 0, seen: 3 }, 800); // finished, and three more came and went
  assert.equal(v.kind, 'wait');
  w = v.window;
  assert.deepEqual([w.lastActivityAt, w.seen], [800, 3]);
  assert.equal(judgeDrain(w, { busy: 0, seen: 3 }, 1_299).kind, 'wait');
  assert.equal(judgeDrain(w, { busy: 0, seen: 3 }, 1_300).kind, 'exit');
});

test('the deadline ends a drain that never gets quiet', () => {
  const w = openWindow(0, 500, 2_000, { busy: 1, seen: 0 });
  const v = judgeDrain(w, { busy: 5, seen: 100 }, 2_000);
  assert.equal(v.kind, 'exit');
  assert.equal(v.kind === 'exit' && v.end, 'deadline');
});

test("activity sums every pool's busy requests and counts refusals as arrivals", () => {
  const a = activityOf([
    { inFlight: 2, queued: 1, requests: 10, refused: { QueueFull: 1 } },
    { inFlight: 0, queued: 0, requests: 5, refused: { AppOffline: 4, Disabled: 1 } },
  ]);
  assert.deepEqual(a, { busy: 3, seen: 21 });
});
