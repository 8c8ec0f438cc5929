import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuBudgetSeconds, overBudget, throttleDuty } from './cpu-policy.ts';

test('the budget is the IIS limit (1/1000 %) of all CPUs over the interval', () => {
  // 25% of 2 cores over 60 s = 30 CPU seconds.
  assert.equal(cpuBudgetSeconds(25_000, 60_000, 2), 30);
  assert.equal(overBudget(29.9, 25_000, 60_000, 2), false);
  assert.equal(overBudget(30.1, 25_000, 60_000, 2), true);
  assert.equal(overBudget(1e9, 0, 60_000, 2), false, 'limit 0 means no limit');
});

test('the throttle duty shares the limit among the workers', () => {
  assert.equal(throttleDuty(25_000, 2, 1), 0.5);
  assert.equal(throttleDuty(25_000, 2, 2), 0.25);
  assert.equal(throttleDuty(100_000, 2, 1), 1);
  assert.equal(throttleDuty(100, 1, 4), 0.02, 'never below 2%: the worker must still answer pings');
});
