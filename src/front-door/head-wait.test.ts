import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadWait } from './head-wait.ts';

test('the head wait fires once with its limit, arming again while it runs changes nothing, and clear stops it', async () => {
  const fired: number[] = [];
  const w = new HeadWait((ms) => fired.push(ms));
  w.arm(20);
  w.arm(1000);
  await sleep(60);
  assert.deepEqual(fired, [20]);
  w.arm(20);
  w.clear();
  await sleep(60);
  assert.deepEqual(fired, [20], 'cleared: no second expiry');
  w.arm(10);
  await sleep(40);
  assert.deepEqual(fired, [20, 10], 'armed again after it fired');
});
