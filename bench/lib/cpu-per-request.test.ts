import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, rotation, roundRatios, summarize, type CpuRun } from './cpu-per-request.ts';
import type { WrkResult } from './wrk.ts';

function run(userUs: number, systemUs: number, rps = 1000, failed = 0): CpuRun {
  const wrk: WrkResult = {
    requests: rps * 10, seconds: 10, rps, p50Ms: 1, p99Ms: 2, maxMs: 3,
    errors: { connect: 0, read: failed, write: 0, timeout: 0 }, non2xx: 0, failed, raw: '',
  };
  return { wrk, userUs, systemUs };
}

test('the median of an odd and an even count, ignoring missing figures', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, NaN, 1, 3]), 3);
  assert.ok(Number.isNaN(median([])));
});

test('a summary takes each figure its own median and sums the failures', () => {
  const s = summarize([run(10, 20, 900), run(30, 10, 1100, 2), run(20, 15, 1000)]);
  assert.equal(s.userUs, 20);
  assert.equal(s.systemUs, 15);
  assert.equal(s.totalUs, 35); // totals 30, 40, 35
  assert.equal(s.rps, 1000);
  assert.equal(s.failed, 2);
  assert.equal(s.rounds, 3);
});

test('ratios are taken round by round', () => {
  const paddock = [run(30, 20), run(40, 20), run(33, 22)];
  const nginx = [run(10, 15), run(10, 30), run(15, 40)];
  assert.deepEqual(roundRatios(paddock, nginx).map((r) => r.toFixed(3)), ['2.000', '1.500', '1.000']);
  assert.deepEqual(roundRatios(paddock, nginx.slice(0, 2)).length, 2);
});

test('each round starts with the next front door', () => {
  assert.deepEqual(rotation(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(rotation(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(rotation(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
  assert.deepEqual(rotation([], 2), []);
});
