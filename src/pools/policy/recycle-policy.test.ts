import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitterFor, periodicTrigger, recycleEventId, requestsTrigger, type WorkerFacts } from './recycle-policy.ts';
import { POOL_DEFAULTS, RECYCLE_EVENT_NAMES } from '../../config/defaults.ts';
import type { PeriodicRestartConfig } from '../../config/types.ts';
import { EventIds } from '../../events/event-ids.ts';

const pr = (over: Partial<PeriodicRestartConfig> = {}): PeriodicRestartConfig => ({ ...POOL_DEFAULTS.recycling.periodicRestart, time: 0, ...over });
const facts = (over: Partial<WorkerFacts> = {}): WorkerFacts => ({ id: 'web-1', readyAt: 1_000, virtualBytes: null, privateBytes: null, ...over });

test('time: due at readyAt + time, with the age and the limit', () => {
  assert.equal(periodicTrigger(pr({ time: 60_000 }), 0, facts(), 60_999), null);
  assert.deepEqual(periodicTrigger(pr({ time: 60_000 }), 0, facts(), 61_000), { trigger: 'Time', details: { ageMs: 60_000, limitMs: 60_000 } });
  assert.equal(periodicTrigger(pr({ time: 60_000 }), 0, facts({ readyAt: 0 }), 1e12), null, 'a worker that never became ready has no age');
});

test('time with jitter: each worker waits its own stable share, within the window', () => {
  const a = jitterFor('web-1', 10_000);
  const b = jitterFor('web-2', 10_000);
  assert.equal(jitterFor('web-1', 10_000), a, 'stable for an id');
  assert.notEqual(a, b, 'spread over ids');
  for (const j of [a, b]) assert.ok(j >= 0 && j <= 10_000, `${j}`);
  assert.equal(jitterFor('web-1', 0), 0);
  const limit = 60_000 + a;
  assert.equal(periodicTrigger(pr({ time: 60_000 }), 10_000, facts(), 1_000 + limit - 1), null);
  assert.equal(periodicTrigger(pr({ time: 60_000 }), 10_000, facts(), 1_000 + limit)?.trigger, 'Time');
});

const memoryCases: Array<{ name: string; config: Partial<PeriodicRestartConfig>; worker: Partial<WorkerFacts>; expect: string | null }> = [
  { name: 'virtual memory over the limit', config: { memory: 100 }, worker: { virtualBytes: 101 }, expect: 'Memory' },
  { name: 'virtual memory at the limit', config: { memory: 100 }, worker: { virtualBytes: 100 }, expect: null },
  { name: 'virtual memory not sampled', config: { memory: 100 }, worker: {}, expect: null },
  { name: 'private bytes over the limit', config: { privateMemory: 100 }, worker: { privateBytes: 200 }, expect: 'PrivateMemory' },
  { name: 'limits of 0 are off', config: {}, worker: { virtualBytes: 1e12, privateBytes: 1e12 }, expect: null },
  { name: 'time comes first when both are due', config: { time: 1, memory: 100 }, worker: { virtualBytes: 200 }, expect: 'Time' },
];

for (const c of memoryCases) {
  test(`memory: ${c.name}`, () => assert.equal(periodicTrigger(pr(c.config), 0, facts(c.worker), 10_000)?.trigger ?? null, c.expect));
}

test('requests: due at the limit, with the count; 0 is no limit', () => {
  assert.equal(requestsTrigger(100, 99), null);
  assert.deepEqual(requestsTrigger(100, 100), { trigger: 'Requests', details: { requests: 100, limit: 100 } });
  assert.equal(requestsTrigger(0, 1e9), null);
});

test('every recycle trigger has its IIS event number (DESIGN §6)', () => {
  const expected: Record<string, number> = {
    Time: 5074, Requests: 5075, Schedule: 5076, Memory: 5077, PrivateMemory: 5117, IsapiUnhealthy: 5078, OnDemand: 5079, ConfigChange: 5080,
  };
  for (const name of RECYCLE_EVENT_NAMES) assert.equal(recycleEventId(name), expected[name], name);
  assert.equal(recycleEventId('OnDemand'), EventIds.RecycleAdmin);
});
