import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { CpuLimiter, type CpuHost } from './cpu-limiter.ts';
import { poolConfig } from '../../test/helpers/pool-fakes.ts';
import type { CpuAction } from '../config/types.ts';

function host(action: CpuAction, limit: number, cgroup: boolean): CpuHost & { quotas: Array<number | null>; events: Array<{ message: string; details?: Record<string, unknown> }>; throttled: number } {
  const config = poolConfig({ cpu: { limit, action, resetInterval: 60_000 } });
  const h = {
    name: 'web',
    config,
    state: 'started' as const,
    stopReason: null,
    workers: [],
    quotas: [] as Array<number | null>,
    events: [] as Array<{ message: string; details?: Record<string, unknown> }>,
    throttled: 0,
    event(_id: number, message: string, extra: { details?: Record<string, unknown> }) {
      h.events.push({ message, details: extra.details });
    },
    stopBySelf() {},
    start() {},
    setCpuQuota(cpus: number | null) {
      h.quotas.push(cpus);
      return cgroup;
    },
    throttledCount: () => h.throttled,
  };
  return h;
}

test('Throttle sets the kernel quota on the pool\'s cgroup at once, limit × cores CPUs, and says when the kernel held it back', () => {
  const h = host('Throttle', 12_500, true);
  const limiter = new CpuLimiter(h);
  limiter.tick(1_000);
  assert.deepEqual(h.quotas, [0.125 * availableParallelism()]);
  assert.equal(limiter.kernelQuota, true);
  limiter.tick(1_250);
  assert.equal(h.quotas.length, 1, 'set once, not every tick');
  assert.equal(h.events.length, 0, 'not held back yet');
  h.throttled = 7;
  limiter.tick(1_500);
  assert.equal(h.events.length, 1);
  assert.equal(h.events[0].details?.enforcement, 'cgroup');
  assert.equal(h.events[0].details?.throttledPeriods, 7);
  assert.match(h.events[0].message, /reached its CPU limit.*the kernel holds its workers at \d+% of one CPU/);
  limiter.tick(1_750);
  assert.equal(h.events.length, 1, 'once per reset interval');
});

test('without a cgroup the quota is asked once and the duty cycle stays in charge', () => {
  const h = host('Throttle', 12_500, false);
  const limiter = new CpuLimiter(h);
  limiter.tick(1_000);
  limiter.tick(1_250);
  assert.equal(h.quotas.length, 1);
  assert.equal(limiter.kernelQuota, false);
});

test('NoAction and KillW3wp set no quota', () => {
  for (const action of ['NoAction', 'KillW3wp'] as const) {
    const h = host(action, 12_500, true);
    new CpuLimiter(h).tick(1_000);
    assert.deepEqual(h.quotas, [null]);
  }
});
