/**
 * Workers that misbehave on their way out, or that must be sent on it: a worker that exits non-zero
 * when told to drain, one that ignores SIGTERM, and one that leaks memory until the private-memory
 * recycle replaces it. Each under GET load, with a healthy pool beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { alive, fixtures, get, helloPool, waitFor } from '../helpers/test-host.ts';
import { EventIds } from '../../src/events/event-ids.ts';
import { faultScenario, pidIn } from './harness.ts';
import { describeLoad } from './steady-load.ts';

const sturdy = { rapidFailProtectionMaxCrashes: 100 };

test('exits during drain: a recycle under load loses no request, and an exit code the host asked for is not a crash', async (t) => {
  const drainless = { command: ['node', join(fixtures, 'exit-on-drain.mjs')], failure: sturdy };
  const faulty = await faultScenario(t, { faulty: drainless }, async (s) => {
    const victim = await s.readyWorker();
    // A POST in hand when the recycle starts: the drain waits for it before the worker is told.
    const inHand = get(s.faulty('/slow?ms=500'), { method: 'POST', body: 'x' });
    await waitFor(() => s.workers().some((w) => w.pid === victim.pid && w.inFlight > 0), 5_000, 'the POST in hand');
    await s.h.host.supervisor.recyclePool('faulty');
    await s.h.waitForEvent(EventIds.RecycleAdmin, 'faulty');
    const answer = await inHand;
    assert.equal(answer.status, 200, 'the request in hand finished before the worker was told to drain');
    assert.equal(pidIn(answer.body), victim.pid);
    const stopped = await waitFor(() => s.h.events(EventIds.WorkerStopped, 'faulty').find((e) => e.pid === victim.pid), 10_000, 'the old worker to stop');
    assert.equal(stopped.details.exitCode, 3, 'the exit code is on record');
    assert.equal(s.h.events(EventIds.WorkerCrashed, 'faulty').length, 0, 'an exit during a drain the host asked for is not a crash');
    assert.equal(s.h.host.supervisor.pool('faulty').recentFailures, 0, 'nor a failure for rapid-fail');
    await s.servesAgain(victim.pid);
  });
  assert.equal(faulty.failed, 0, `overlapping recycle: ${describeLoad(faulty)}`);
});

test('ignores SIGTERM: recycled and then stopped, it is killed at shutdownTimeLimit (5013) each time, and no GET fails', async (t) => {
  const stubborn = {
    command: ['node', join(fixtures, 'ignore-sigterm.mjs')],
    runtime: 'generic',
    processModel: { shutdownTimeLimit: '1s', startupTimeLimit: '10s' },
    failure: sturdy,
  };
  const faulty = await faultScenario(t, { faulty: stubborn }, async (s) => {
    const victim = await s.readyWorker();
    await s.h.host.supervisor.recyclePool('faulty');
    const killed = await s.h.waitForEvent(EventIds.ShutdownTimeLimit, 'faulty');
    assert.equal(killed.pid, victim.pid);
    assert.equal(killed.details.shutdownTimeLimitMs, 1000);
    await waitFor(() => !alive(victim.pid!), 5_000, 'the stubborn worker to be gone');
    const replacement = await s.servesAgain(victim.pid);

    // Stopping the pool meets the same refusal; the stop still completes.
    const load = await s.faultyLoad!.stop();
    assert.equal(load.failed, 0, `the recycle lost no GET: ${describeLoad(load)}`);
    await s.h.host.supervisor.stopPool('faulty');
    const second = await s.h.waitForEvent(EventIds.ShutdownTimeLimit, 'faulty', 5_000, 2);
    assert.equal(second.pid, replacement);
    assert.equal(s.h.host.supervisor.pool('faulty').state, 'stopped');
    assert.ok(!alive(replacement), 'no worker outlives the stop');
  });
  assert.equal(faulty.failed, 0, describeLoad(faulty));
});

test('leaks memory: past periodicRestart.privateMemory the worker is recycled (5117) and the replacement serves, no GET fails', async (t) => {
  const leaky = helloPool({ recycling: { periodicRestart: { privateMemory: '150MB' } }, failure: sturdy });
  const faulty = await faultScenario(t, { faulty: leaky }, async (s) => {
    const victim = await s.readyWorker();
    // The leak: 10 MB more retained every 100 ms, until the host notices (it samples every 5 s).
    let leaked = 0;
    while (s.h.events(EventIds.RecyclePrivateMemory, 'faulty').length === 0) {
      if (leaked < 400) {
        const r = await get(s.faulty('/alloc?mb=10'));
        assert.equal(r.status, 200, `leak step: ${r.status} ${r.body}`);
        leaked = (JSON.parse(r.body) as { retainedMb: number }).retainedMb;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const recycle = s.h.events(EventIds.RecyclePrivateMemory, 'faulty')[0];
    assert.equal(recycle.pid, victim.pid);
    assert.equal(recycle.details.limitBytes, 150 * 1024 * 1024);
    assert.ok(Number(recycle.details.privateBytes) > 150 * 1024 * 1024, `figure in the event: ${JSON.stringify(recycle.details)}`);
    await s.servesAgain(victim.pid);
    await waitFor(() => !alive(victim.pid!), 10_000, 'the leaking worker to exit');
    const stopped = s.h.events(EventIds.WorkerStopped, 'faulty').find((e) => e.pid === victim.pid);
    assert.ok(stopped, 'the leaking worker stopped normally (6003), drained');
  });
  assert.equal(faulty.failed, 0, `overlapping recycle: ${describeLoad(faulty)}`);
});
