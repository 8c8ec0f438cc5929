import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolSnapshot, WorkerSnapshot } from './host-control.ts';
import { poolReadiness } from './readiness.ts';

function worker(state: WorkerSnapshot['state']): WorkerSnapshot {
  return { pool: 'web', id: 'web-1', pid: 1, state, health: 'healthy', startedAt: '2025-01-31T10:00:00.000Z', requests: 0, inFlight: 0, rssBytes: null, cpuSeconds: null };
}

function pool(over: Partial<PoolSnapshot> = {}): PoolSnapshot {
  return {
    name: 'web', state: 'started', stopReason: null, startMode: 'OnDemand', maxProcesses: 1, queueLength: 10, queued: 0,
    inFlight: 0, requests: 0, refused: {}, recentFailures: 0, startFailures: 0, workers: [], available: true, ...over,
  };
}

test('a started pool with no worker yet is ready: its first request starts one (OnDemand)', () => {
  assert.deepEqual(poolReadiness(pool(), false), { ready: true, reason: 'ready', message: "pool 'web' can take a request" });
  assert.equal(poolReadiness(pool({ workers: [worker('ready')] }), false).ready, true);
});

test('a stopped or stopping pool says why it stopped, even on a draining host', () => {
  for (const stopReason of ['admin', 'rapidFail', 'cpuLimit', 'identity', 'config'] as const) {
    const r = poolReadiness(pool({ state: 'stopped', stopReason }), true);
    assert.equal(r.ready, false);
    assert.equal(r.reason, stopReason);
    assert.match(r.message, /^pool 'web' is stopped (by|because)/);
  }
  const stopping = poolReadiness(pool({ state: 'stopping', stopReason: 'rapidFail' }), false);
  assert.deepEqual([stopping.reason, stopping.message], ['rapidFail', "pool 'web' is stopping by rapid-fail protection (event 5002)"]);
  // A stopped pool's snapshot may carry no reason (never started): it counts as stopped by an administrator.
  assert.equal(poolReadiness(pool({ state: 'stopped', stopReason: null }), false).reason, 'admin');
});

test('every started pool of a draining host is not ready, with reason draining', () => {
  const r = poolReadiness(pool({ workers: [worker('ready')] }), true);
  assert.equal(r.ready, false);
  assert.equal(r.reason, 'draining');
});

test('workers that die before they are ready make the pool not ready until one is', () => {
  const failing = poolReadiness(pool({ startFailures: 3, workers: [worker('starting')] }), false);
  assert.deepEqual([failing.ready, failing.reason], [false, 'startFailing']);
  assert.match(failing.message, /last 3 starts failed/);
  assert.match(poolReadiness(pool({ startFailures: 1 }), false).message, /last start failed/);
  // A garden with one worker serving is ready, whatever its other slot does.
  assert.equal(poolReadiness(pool({ startFailures: 2, workers: [worker('ready'), worker('starting')] }), false).ready, true);
  assert.equal(poolReadiness(pool({ startFailures: 2, workers: [worker('suspended')] }), false).ready, true);
});

test('a full queue is not ready; queueLength 0 alone is not full', () => {
  const full = poolReadiness(pool({ queued: 10, queueLength: 10 }), false);
  assert.deepEqual([full.ready, full.reason, full.message], [false, 'queueFull', "pool 'web' has a full queue (10 of 10)"]);
  assert.equal(poolReadiness(pool({ queued: 9, queueLength: 10 }), false).ready, true);
  assert.equal(poolReadiness(pool({ queued: 0, queueLength: 0, workers: [worker('ready')] }), false).ready, true);
});
