/**
 * Faults of php-cgi workers in a FastCGI pool, under steady GET load, with a healthy pool beside:
 * a php-cgi killed by SIGKILL, a script stuck in an endless loop, a PHP fatal error that takes the
 * process down, and recycles — each costing no GET, with the report an operator needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, waitFor } from '../helpers/test-host.ts';
import { phpPool, phpSkip } from '../helpers/php-cgi.ts';
import { EventIds } from '../../src/events/event-ids.ts';
import { faultScenario, pidIn, type FaultHost } from './harness.ts';
import { describeLoad } from './steady-load.ts';

const sturdy = { failure: { rapidFailProtectionMaxCrashes: 100 } };

/** A GET in hand on `victim` when the fault strikes; the check says it was answered 200 by another php-cgi. */
async function holdGet(s: FaultHost, victim: number): Promise<() => Promise<void>> {
  const held = get(s.faulty('/slow.php?ms=400'));
  await waitFor(() => s.workers().some((w) => w.pid === victim && w.inFlight > 0), 5_000, 'a request in hand');
  return async () => {
    const answer = await held;
    assert.equal(answer.status, 200, 'the GET in hand was answered by the replacement');
    assert.notEqual(pidIn(answer.body), victim);
  };
}

test('php-cgi killed by SIGKILL under load, three times: the GETs in hand are retried, none fails', { skip: phpSkip }, async (t) => {
  const faulty = await faultScenario(t, { faulty: phpPool({ ...sturdy, processModel: { maxProcesses: 2 } }), faultyStripPrefix: true }, async (s) => {
    for (let round = 1; round <= 3; round++) {
      const victim = await s.readyWorker();
      const retried = await holdGet(s, victim.pid!);
      process.kill(victim.pid!, 'SIGKILL');
      const crash = await s.h.waitForEvent(EventIds.WorkerCrashed, 'faulty', 10_000, round);
      assert.equal(crash.pid, victim.pid);
      assert.equal(crash.details.signal, 'SIGKILL');
      await retried();
      await s.servesAgain(victim.pid);
    }
  });
  assert.equal(faulty.failed, 0, `GETs are retried: ${describeLoad(faulty)}`);
});

test('a script in an endless loop misses the FastCGI ping: hang report with php-cgi\'s native stacks and the script, the worker replaced', { skip: phpSkip }, async (t) => {
  const faulty = await faultScenario(t, {
    faulty: phpPool({ processModel: { maxProcesses: 2, pingInterval: '300ms', pingResponseTime: '1s' } }),
    faultyStripPrefix: true,
  }, async (s) => {
    // A POST is not retried: the loop hangs one php-cgi only.
    const looping = get(s.faulty('/loop.php'), { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const missed = await s.h.waitForEvent(EventIds.PingMissed, 'faulty', 15_000);
    const answer = await looping;
    assert.equal(answer.status, 502, 'the looping POST gets a 502');
    const e = await s.h.waitForEvent(EventIds.HangReport, 'faulty', 30_000);
    const report = s.h.host.supervisor.crash(String(e.details.report));
    assert.equal(report.kind, 'hang');
    assert.equal(report.pid, missed.pid);
    assert.ok(report.requestsInFlight.some((r) => r.startsWith('POST /faulty/loop.php')), report.requestsInFlight.join(', '));
    assert.match(report.top.join('\n'), /loop\.php/, 'the script in hand is the first frame');
    if (report.stackSource === 'gdb-attach') {
      const native = report.threads.flatMap((th) => th.frames.map((f) => f.function)).join(' ');
      assert.match(native, /execute_ex|php_execute_script|main/, 'php-cgi\'s native stacks');
    } else {
      t.diagnostic(`no native stacks: ${report.notes.join('; ')}`);
    }
    await s.servesAgain(missed.pid);
  });
  assert.equal(faulty.failed, 0, `the load's GETs went to the other php-cgi: ${describeLoad(faulty)}`);
});

test("a PHP fatal error that takes php-cgi down: the crash report's error is PHP's message with its file and line", { skip: phpSkip }, async (t) => {
  const faulty = await faultScenario(t, { faulty: phpPool({ ...sturdy, processModel: { maxProcesses: 2 } }), faultyStripPrefix: true }, async (s) => {
    const r = await get(s.faulty('/fatal.php?crash=1'), { method: 'POST', body: '' }).catch((err: Error) => ({ status: 0, body: err.message }));
    assert.ok(r.status === 500 || r.status === 502, `the client gets the error page or a 502: ${r.status}`);
    const e = await s.h.waitForEvent(EventIds.CrashReport, 'faulty', 30_000);
    const report = s.h.host.supervisor.crash(String(e.details.report));
    assert.equal(report.kind, 'crash');
    assert.match(report.error.message ?? '', /Call to undefined function calculate_shipping\(\)/, JSON.stringify(report.error));
    const frames = report.stack.map((f) => `${f.function} ${f.file}:${f.line}`).join('\n');
    assert.match(frames, /fatal\.php:8/, `the PHP frames carry file and line:\n${frames}`);
    await s.servesAgain(report.pid);
  });
  assert.equal(faulty.failed, 0, describeLoad(faulty));
});

test('recycling php-cgi under load, by an administrator and by periodicRestart.requests: overlapping rotation fails nothing', { skip: phpSkip }, async (t) => {
  const faulty = await faultScenario(t, { faulty: phpPool({ processModel: { maxProcesses: 2 }, recycling: { periodicRestart: { requests: 150 } } }), faultyStripPrefix: true }, async (s) => {
    const first = s.workers().map((w) => w.pid);
    await s.h.host.supervisor.recyclePool('faulty');
    await waitFor(() => s.workers().filter((w) => w.state === 'ready').every((w) => !first.includes(w.pid)) && s.workers().some((w) => w.state === 'ready'), 20_000, 'every worker replaced');
    await s.h.waitForEvent(EventIds.RecycleRequests, 'faulty', 30_000);
    await s.servesAgain(null);
  });
  assert.equal(faulty.failed, 0, `a recycle fails nothing: ${describeLoad(faulty)}`);
  assert.ok(faulty.ok > 150, describeLoad(faulty));
});
