/**
 * Workers that stop answering without dying: an endless loop in JavaScript, a thread blocked in
 * native code, and a worker that never listens at all. Pings (300 ms apart, 700 ms to answer) and
 * the startup time limit find them; each under GET load, with a healthy pool beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, helloPool, waitFor } from '../helpers/test-host.ts';
import { EventIds } from '../../src/events/event-ids.ts';
import { faultScenario, pidIn, type FaultHost } from './harness.ts';
import { describeLoad } from './steady-load.ts';

const quickPing = { pingInterval: '300ms', pingResponseTime: '700ms' };
const sturdy = { rapidFailProtectionMaxCrashes: 100 };

/** Sends `route` as a POST (not retried, so it alone meets the hang) and proves the hang was found. */
async function hangAndRecover(s: FaultHost, route: string): Promise<void> {
  const victim = await s.readyWorker();
  const stuck = get(s.faulty(route), { method: 'POST', body: 'x' });
  await waitFor(() => s.workers().some((w) => w.pid === victim.pid && w.inFlight > 0), 5_000, 'the hanging request in hand');
  // A GET sent behind the hang, beside the load's.
  const behind = get(s.faulty());
  const missed = await s.h.waitForEvent(EventIds.PingMissed, 'faulty');
  assert.equal(missed.pid, victim.pid);
  assert.equal(missed.details.pingResponseTimeMs, 700);
  assert.equal((await stuck).status, 502, 'the request that hung the worker is answered 502 once the hang is found');
  const served = await behind;
  assert.equal(served.status, 200, 'the GET behind the hang was served');
  assert.notEqual(pidIn(served.body), victim.pid, 'by the replacement');
  await s.servesAgain(victim.pid);
  assert.equal(s.h.events(EventIds.WorkerCrashed, 'faulty').length, 0, 'a worker killed for hanging is not also reported as a crash');
  // The requests it held were handed on at once; the process itself goes after its stacks are taken.
  const stopped = await waitFor(() => s.h.events(EventIds.WorkerStopped, 'faulty').find((e) => e.pid === victim.pid), 10_000, 'the hung worker stopped');
  assert.equal(stopped.details.signal, 'SIGKILL', 'the hung worker was killed');
}

test('endless loop: the worker misses its ping (5010), is killed and replaced; the GETs queued behind it are served', async (t) => {
  const faulty = await faultScenario(t, { faulty: helloPool({ processModel: quickPing, failure: sturdy }) }, (s) => hangAndRecover(s, '/hang'));
  assert.equal(faulty.failed, 0, `GETs behind the hang are retried: ${describeLoad(faulty)}`);
});

test('blocked in native code (Atomics.wait): the ping goes unanswered just the same (5010), and the pool recovers', async (t) => {
  const faulty = await faultScenario(t, { faulty: helloPool({ processModel: quickPing, failure: sturdy }) }, (s) => hangAndRecover(s, '/wait?ms=60000'));
  assert.equal(faulty.failed, 0, `GETs behind the block are retried: ${describeLoad(faulty)}`);
});

test('never listens: the startup time limit kills it (5012) until rapid-fail stops the pool (5002); its requests get 503 AppOffline', async (t) => {
  const mute = helloPool({
    env: { HELLO_NEVER_LISTEN: '1' },
    processModel: { startupTimeLimit: '1s' },
    failure: { rapidFailProtectionMaxCrashes: 2, rapidFailProtectionInterval: '1m' },
  });
  const faulty = await faultScenario(t, { faulty: mute, faultyServes: false }, async (s) => {
    s.startFaultyLoad();
    const limit = await s.h.waitForEvent(EventIds.StartupTimeLimit, 'faulty');
    assert.equal(limit.details.startupTimeLimitMs, 1000);
    const stopped = await s.h.waitForEvent(EventIds.RapidFailStopped, 'faulty');
    assert.equal(s.h.events(EventIds.StartupTimeLimit, 'faulty').length, 2, 'one 5012 per failed start, two in all');
    assert.deepEqual((stopped.details.failures as Array<{ kind: string }>).map((f) => f.kind), ['startupTimeLimit', 'startupTimeLimit']);
    assert.equal(s.h.host.supervisor.pool('faulty').stopReason, 'rapidFail');
    await waitFor(() => s.workers().length === 0, 5_000, 'no worker left running');
    const refused = await get(s.faulty());
    assert.equal(refused.status, 503);
    assert.match(refused.body, /AppOffline/);
  });
  // Unavoidable: nothing ever served; the queued requests are refused when the pool stops.
  assert.equal(faulty.ok, 0);
  assert.deepEqual(Object.keys(faulty.outcomes), ['503 AppOffline'], describeLoad(faulty));
});
