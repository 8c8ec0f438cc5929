import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LagWindow, eventLoopWatchOptions, sampleIntervalMs } from './event-loop-watch.mjs';

describe('event-loop watch policy', () => {
  it('reads its knobs from the environment, with defaults for missing or bad values', () => {
    assert.deepEqual(eventLoopWatchOptions({}), { limitMs: 1000, timeMs: 10_000 });
    assert.deepEqual(
      eventLoopWatchOptions({ PADDOCK_EVENT_LOOP_DELAY_LIMIT_MS: '0', PADDOCK_EVENT_LOOP_DELAY_TIME_MS: '5000' }),
      { limitMs: 0, timeMs: 5000 },
    );
    assert.deepEqual(
      eventLoopWatchOptions({ PADDOCK_EVENT_LOOP_DELAY_LIMIT_MS: 'soon', PADDOCK_EVENT_LOOP_DELAY_TIME_MS: '-1' }),
      { limitMs: 1000, timeMs: 10_000 },
    );
  });

  it('samples at half the limit, between 10 ms and 500 ms', () => {
    assert.equal(sampleIntervalMs(200), 100);
    assert.equal(sampleIntervalMs(1000), 500);
    assert.equal(sampleIntervalMs(10_000), 500);
    assert.equal(sampleIntervalMs(5), 10);
  });

  it('reports one stall longer than the time as soon as it is seen', () => {
    const w = new LagWindow({ limitMs: 1000, timeMs: 10_000 });
    assert.equal(w.record(500, 0), null);
    assert.deepEqual(w.record(13_000, 12_300), {
      reason: 'event loop blocked for 12.3 s in the last 20 s (limit 1 s)',
      eventLoopDelayMs: 12_300,
    });
  });

  it('sums only samples over the limit, within a window of twice the time', () => {
    const w = new LagWindow({ limitMs: 200, timeMs: 1000 });
    assert.equal(w.record(0, 199), null); // under the limit: not counted
    assert.equal(w.record(300, 400), null);
    assert.equal(w.record(2400, 400), null); // the first 400 left the 2 s window
    assert.equal(w.record(2800, 300), null); // 700 in the window
    assert.deepEqual(w.record(3200, 300), {
      reason: 'event loop blocked for 1 s in the last 2 s (limit 0.2 s)',
      eventLoopDelayMs: 1000,
    });
  });

  it('stays quiet for a window after a report, then reports again', () => {
    const w = new LagWindow({ limitMs: 200, timeMs: 1000 });
    assert.notEqual(w.record(1000, 1000), null);
    assert.equal(w.record(2500, 1500), null); // within the quiet window
    assert.notEqual(w.record(3100, 300), null); // quiet window over; 1500 + 300 in the last 2 s
  });

  it('is off when the limit is 0', () => {
    const w = new LagWindow({ limitMs: 0, timeMs: 1000 });
    assert.equal(w.record(60_000, 60_000), null);
  });
});
