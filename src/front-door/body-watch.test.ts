import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyClock, BodyWatch, bodyStalled, sweepEveryMs, type BodyProgress, type BodyReader } from './body-watch.ts';

test('a body stalls after the limit without bytes; time the front door paused it is not the client\'s', () => {
  assert.equal(bodyStalled(0, false, 100, 99), false);
  assert.equal(bodyStalled(0, false, 100, 100), true);
  assert.equal(bodyStalled(0, true, 100, 10_000), false);
  assert.equal(bodyStalled(0, false, 0, 10_000), false, '0 is no limit');
  assert.equal(sweepEveryMs(120_000), 1000);
  assert.equal(sweepEveryMs(100), 50);
});

test('a body clock: bytes or a pause restart it; silence for the limit stalls it', () => {
  const c = new BodyClock(0);
  assert.equal(c.progress(90, 100, false), 'reading');
  c.moved = true;
  assert.equal(c.progress(150, 100, false), 'reading', 'bytes came: the clock restarts at 150');
  assert.equal(c.progress(240, 100, false), 'reading');
  assert.equal(c.progress(250, 100, true), 'reading', 'paused by the front door: restarts at 250');
  assert.equal(c.progress(349, 100, false), 'reading');
  assert.equal(c.progress(350, 100, false), 'stalled');
});

test('the sweep times out stalled readers once, drops finished ones, and stops its timer when none is left', () => {
  let now = 0;
  const watch = new BodyWatch(() => 100, () => now);
  const reader = (progress: () => BodyProgress): BodyReader & { timedOut: number[] } => {
    const r = { timedOut: [] as number[], bodyProgress: progress, bodyTimedOut: (ms: number) => void r.timedOut.push(ms) };
    return r;
  };
  let stalled: BodyProgress = 'reading';
  const a = reader(() => stalled);
  const b = reader(() => 'done');
  watch.add(a);
  watch.add(b);
  now = 50;
  watch.sweep();
  assert.equal(watch.size, 1, 'a finished body leaves the watch');
  stalled = 'stalled';
  watch.sweep();
  assert.deepEqual(a.timedOut, [100]);
  assert.equal(watch.size, 0);
  watch.sweep();
  assert.deepEqual(a.timedOut, [100], 'once');
  watch.stop();
});

test('entityBodyTimeout 0: nothing is watched', () => {
  const watch = new BodyWatch(() => 0);
  watch.add({ bodyProgress: () => 'stalled', bodyTimedOut: () => assert.fail('no limit') });
  assert.equal(watch.size, 0);
  watch.stop();
});
