/**
 * Workers that die: SIGKILL, SIGSEGV, an uncaught exception, out of memory, and a worker that exits
 * 0 right after it starts. Each under GET load, with a healthy pool beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures, get, helloPool, waitFor } from '../helpers/test-host.ts';
import { EventIds } from '../../src/events/event-ids.ts';
import { faultScenario, pidIn, type FaultHost } from './harness.ts';
import { describeLoad } from './steady-load.ts';

/** A pool that may crash often in one test without tripping rapid-fail. */
const sturdy = { failure: { rapidFailProtectionMaxCrashes: 100 } };

/**
 * A GET surely in hand on `victim` when the fault strikes (beside whatever the load has there).
 * Returns a check to call after the crash: the GET was answered 200 by another worker.
 */
async function holdGet(s: FaultHost, victim: number): Promise<() => Promise<void>> {
  const held = get(s.faulty('/slow?ms=400'));
  await waitFor(() => s.workers().some((w) => w.pid === victim && w.inFlight > 0), 5_000, 'a request in hand');
  return async () => {
    const answer = await held;
    assert.equal(answer.status, 200, 'the GET in hand was answered by the replacement');
    assert.notEqual(pidIn(answer.body), victim);
  };
}

/** Death by a signal nobody chose: each kind, the rounds it is dealt under load, and its test's name. */
const signalDeaths = [
  { signal: 'SIGKILL', rounds: 3, name: 'SIGKILL: the GETs in hand are retried on the replacement (5009 with the signal), the other pool loses nothing' },
  { signal: 'SIGSEGV', rounds: 1, name: 'SIGSEGV: the worker dies by the signal (5009), the GETs in hand are retried on the replacement' },
] as const;

for (const death of signalDeaths) {
  test(death.name, async (t) => {
    const faulty = await faultScenario(t, { faulty: helloPool(sturdy) }, async (s) => {
      for (let round = 1; round <= death.rounds; round++) {
        const victim = await s.readyWorker();
        const retried = await holdGet(s, victim.pid!);
        process.kill(victim.pid!, death.signal);
        const crash = await s.h.waitForEvent(EventIds.WorkerCrashed, 'faulty', 10_000, round);
        assert.equal(crash.pid, victim.pid);
        assert.equal(crash.details.signal, death.signal);
        await retried();
        await s.servesAgain(victim.pid);
      }
    });
    assert.equal(faulty.failed, 0, `GETs are retried: ${describeLoad(faulty)}`);
  });
}

test('uncaught exception: exit code 1 (5009), the POST that threw gets 502, the GETs beside it are retried', async (t) => {
  const faulty = await faultScenario(t, { faulty: helloPool(sturdy) }, async (s) => {
    const victim = await s.readyWorker();
    const retried = await holdGet(s, victim.pid!);
    // A POST is not safe to repeat: it is the one request that sees the crash.
    const thrown = await get(s.faulty('/throw'), { method: 'POST', body: 'x' });
    assert.equal(thrown.status, 502);
    const crash = await s.h.waitForEvent(EventIds.WorkerCrashed, 'faulty');
    assert.equal(crash.pid, victim.pid);
    assert.equal(crash.details.exitCode, 1);
    assert.equal(crash.details.signal, null);
    await retried();
    await s.servesAgain(victim.pid);
  });
  assert.equal(faulty.failed, 0, `GETs are retried: ${describeLoad(faulty)}`);
});

test('out of memory: V8 reaches its heap limit and aborts (5009); the POST that did it gets 502, the GETs beside it are retried', async (t) => {
  const pool = helloPool({ ...sturdy, env: { NODE_OPTIONS: '--max-old-space-size=64' } });
  const faulty = await faultScenario(t, { faulty: pool }, async (s) => {
    const victim = await s.readyWorker();
    const retried = await holdGet(s, victim.pid!);
    const oom = await get(s.faulty('/oom'), { method: 'POST', body: 'x' });
    assert.equal(oom.status, 502);
    const crash = await s.h.waitForEvent(EventIds.WorkerCrashed, 'faulty');
    assert.equal(crash.pid, victim.pid);
    // V8's fatal error handler calls abort(): SIGABRT, unless a Node build exits instead.
    assert.ok(crash.details.signal === 'SIGABRT' || crash.details.exitCode === 134, `exit facts ${JSON.stringify(crash.details)}`);
    await retried();
    await s.servesAgain(victim.pid);
  });
  assert.equal(faulty.failed, 0, `GETs are retried: ${describeLoad(faulty)}`);
});

test('exits 0 right after start: every exit is a crash (5009, code 0) and rapid-fail stops the pool (5002): 503 AppOffline', async (t) => {
  const brief = {
    command: ['node', join(fixtures, 'exit-zero.mjs')],
    processModel: { startupTimeLimit: '5s' },
    failure: { rapidFailProtectionMaxCrashes: 3, rapidFailProtectionInterval: '1m' },
  };
  const faulty = await faultScenario(t, { faulty: brief, faultyServes: false }, async (s) => {
    s.startFaultyLoad();
    const stopped = await s.h.waitForEvent(EventIds.RapidFailStopped, 'faulty');
    const crashes = s.h.events(EventIds.WorkerCrashed, 'faulty');
    // A worker that was ready for its 50 ms may die with a GET in hand; that GET is retried once,
    // and if the next worker dies with it too, that second death is a poison request's (7162) and
    // counts once with the first. Every other crash counts.
    const poisonDeaths = crashes.filter((c) => (c.details.poisonRequests as unknown[]).length > 0);
    assert.equal(poisonDeaths.length, s.h.events(EventIds.PoisonRequest, 'faulty').length, 'each poison death has its 7162');
    assert.equal(crashes.length - poisonDeaths.length, 3, 'exactly rapidFailProtectionMaxCrashes counted crashes, then no more starts');
    for (const c of crashes) {
      assert.equal(c.details.exitCode, 0);
      assert.equal(c.details.signal, null);
    }
    assert.equal((stopped.details.failures as unknown[]).length, 3);
    assert.equal(s.h.host.supervisor.pool('faulty').stopReason, 'rapidFail');
    const refused = await get(s.faulty());
    assert.equal(refused.status, 503);
    assert.match(refused.body, /AppOffline/);
    // The load sees the stopped pool too before it ends.
    const seen = s.faultyLoad!.snapshot().outcomes['503 AppOffline'] ?? 0;
    await waitFor(() => (s.faultyLoad!.snapshot().outcomes['503 AppOffline'] ?? 0) > seen, 5_000, 'more 503 AppOffline');
  });
  // Unavoidable: a worker that never stays up cannot answer. A GET caught by two exits in a row is
  // a 502 (one retry only); everything after the stop is 503 AppOffline.
  for (const outcome of Object.keys(faulty.outcomes)) {
    assert.ok(['200', '502', '503 AppOffline'].includes(outcome), `unexpected outcome ${outcome}: ${describeLoad(faulty)}`);
  }
  assert.ok((faulty.outcomes['503 AppOffline'] ?? 0) > 0, describeLoad(faulty));
});
