/**
 * The shared table the front-door threads grant workers from (src/dispatch/shared-table.ts):
 * real threads claiming one worker at once never pass its limit, a closed worker takes nothing,
 * counts add up over threads, and a thread that is gone leaves nothing counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { SharedTable, WorkerSlotState, refusalOf } from '../src/dispatch/shared-table.ts';

const hammer = new URL('./fixtures/table-hammer.ts', import.meta.url);

test('four threads claiming one worker with a limit of 1 never hold two at once, and every claim is counted once', async () => {
  const table = new SharedTable({ threads: 4, pools: 1, workers: 1 });
  table.openWorker(0, 0, 0);
  table.setWorkerState(0, WorkerSlotState.ready);
  const rounds = 200_000;
  const holders = new SharedArrayBuffer(4);
  const results = await Promise.all([0, 1, 2, 3].map((thread) => new Promise<{ got: number; most: number }>((resolve, reject) => {
    const w = new Worker(hammer, { workerData: { mode: 'claim', memory: table.memory, thread, rounds, limit: 1, holders } });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  for (const r of results) assert.ok(r.most <= 1, `a thread saw ${r.most} claims held at once`);
  assert.ok(results.reduce((n, r) => n + r.got, 0) < 4 * rounds, 'the threads did contend: some claims found no room');
  assert.equal(table.requests(0), results.reduce((n, r) => n + r.got, 0));
  assert.equal(table.inFlight(0), 0);
});

test('a worker that is not ready takes no request; a suspended one does, and one thread asks for its thaw', () => {
  const table = new SharedTable({ threads: 2, pools: 1, workers: 2 });
  table.openWorker(1, 0, 0);
  assert.equal(table.claim(1, 0, 0, 0), 0, 'closed (starting) takes nothing');
  table.setWorkerState(1, WorkerSlotState.suspended);
  assert.equal(table.claim(1, 0, 0, 5), 1);
  assert.equal(table.claimThaw(1), true);
  assert.equal(table.claimThaw(1), false, 'only one thread asks');
  assert.equal(table.workerState(1), WorkerSlotState.ready);
  assert.equal(table.claim(1, 1, 0, 6), 2);
  table.tunnelBegan(1, 1);
  assert.equal(table.inFlight(1), 2);
  assert.equal(table.tunnels(1), 1);
  assert.equal(table.lastActivity(1), 6);
  // The limit counts requests but tunnels.
  assert.equal(table.claim(1, 0, 2, 7), 3);
  assert.equal(table.claim(1, 0, 2, 7), 0);
  assert.equal(table.release(1, 1, true, 8), 2);
  table.setWorkerState(1, WorkerSlotState.closed);
  assert.equal(table.claim(1, 0, 0, 9), 0, 'draining takes nothing');
  assert.equal(table.threadInFlight(0), 2);
  table.forgetThread(0);
  assert.equal(table.inFlight(1), 0, 'a thread gone leaves nothing counted');
});

test('pool words: refusal, limits, demand raised once while a worker may start, queued over threads, counters', () => {
  const table = new SharedTable({ threads: 2, pools: 2, workers: 1 });
  assert.equal(table.poolState(1), 0);
  table.setPoolRefusal(1, { reason: 'AppOffline', reset: true });
  assert.deepEqual(refusalOf(table.poolState(1)), { reason: 'AppOffline', reset: true });
  table.setPoolRefusal(1, { reason: 'QueueFull', reset: false });
  assert.deepEqual(refusalOf(table.poolState(1)), { reason: 'QueueFull', reset: false });
  table.setPoolRefusal(1, null);
  assert.equal(table.poolState(1), 0);
  table.setPoolLimits(1, 10, 2);
  assert.equal(table.queueCapacity(1), 10);
  assert.equal(table.perWorkerLimit(1), 2);
  assert.equal(table.raiseDemand(1), false, 'no demand while the pool may not grow');
  table.setGrow(1, true);
  assert.equal(table.raiseDemand(1), true);
  assert.equal(table.raiseDemand(1), false, 'told once');
  table.clearDemand(1);
  assert.equal(table.raiseDemand(1), true);
  table.addQueued(1, 0, 2);
  table.addQueued(1, 1, 3);
  assert.equal(table.queued(1), 5);
  assert.equal(table.queued(0), 0);
  table.countRequest(0, 1);
  table.countRequest(1, 1);
  table.countRefusal(1, 1, 'QueueFull');
  assert.equal(table.poolRequests(1), 2);
  assert.deepEqual(table.poolRefusals(1), { QueueFull: 1 });
  table.clearPoolCounters(1);
  assert.equal(table.poolRequests(1), 0);
  const before = table.freedGeneration(1);
  table.wakeWaiters(1);
  assert.equal(table.freedGeneration(1), before + 1);
  assert.throws(() => new SharedTable({ buffer: new SharedArrayBuffer(8), threads: 2, pools: 2, workers: 1 }), /takes \d+ bytes/);
});

test('a thread waiting for a freed worker wakes when another thread frees one', async () => {
  const table = new SharedTable({ threads: 2, pools: 1, workers: 1 });
  const seen = table.freedGeneration(0);
  const wait = table.waitFreed(0, seen);
  assert.ok(wait !== null, 'it waits');
  new Worker(hammer, { workerData: { mode: 'wake', memory: table.memory } });
  assert.equal(await wait, 'ok');
  assert.equal(table.freedGeneration(0), seen + 1);
});
