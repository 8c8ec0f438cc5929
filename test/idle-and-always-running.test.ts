/**
 * Idle workers cost nothing (IIS idleTimeout: Terminate, and IIS 8.5's Suspend as a frozen cgroup), and
 * pools that must be warm stay warm (startMode AlwaysRunning) or stay off (autoStart: false).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHost, get, helloPool, waitFor, alive, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { isFrozen } from './helpers/cgroups.ts';

const pools = ['idle', 'frozen', 'frozen-watch', 'always', 'always-bad', 'manual'];

let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: pools.map((p) => ({ path: `/${p}`, pool: p })) }],
    pools: {
      idle: helloPool({ processModel: { idleTimeout: '500ms' } }),
      // Quick pings: a suspended worker must not be taken for a hung one.
      frozen: helloPool({ processModel: { idleTimeout: '500ms', idleTimeoutAction: 'Suspend', pingInterval: '100ms', pingResponseTime: '300ms' } }),
      'frozen-watch': helloPool({ processModel: { idleTimeout: '300ms', idleTimeoutAction: 'Suspend', eventLoopDelayLimit: '200ms', eventLoopDelayTime: '500ms' } }),
      always: helloPool({ startMode: 'AlwaysRunning', processModel: { idleTimeout: '300ms' } }),
      'always-bad': helloPool({
        startMode: 'AlwaysRunning',
        autoStart: false,
        command: ['node', '-e', 'process.exit(1)'],
        failure: { rapidFailProtectionMaxCrashes: 3, rapidFailProtectionInterval: '1m' },
      }),
      manual: helloPool({ autoStart: false }),
    },
  });
});
after(() => h?.stop());

/** The pid in the fixture's greeting, "hello from <worker> pid <pid>". */
function pidOf(body: string): number {
  const m = /pid (\d+)$/.exec(body);
  assert.ok(m, `a greeting: ${body}`);
  return Number(m[1]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('idleTimeout (Terminate): an idle worker is drained and stopped (5186); the next request demand-starts one', async () => {
  const first = await get(`${h.url}/idle`);
  assert.equal(first.status, 200);
  const pid = pidOf(first.body);
  const e = await h.waitForEvent(EventIds.IdleShutdown, 'idle', 5_000);
  assert.equal(e.pid, pid);
  assert.equal(e.details.action, 'Terminate');
  assert.equal(e.details.idleTimeoutMs, 500);
  assert.ok((e.details.idleMs as number) >= 500, `idleMs ${e.details.idleMs}`);
  await waitFor(() => h.host.supervisor.workers('idle').length === 0, 5_000, 'no worker left');
  assert.equal(alive(pid), false);
  const stopped = h.events(EventIds.WorkerStopped, 'idle');
  assert.equal(stopped.length, 1, 'stopped normally (6003), not a crash');
  assert.equal(stopped[0].details.reason, 'idle timeout');
  assert.equal(h.events(EventIds.WorkerCrashed, 'idle').length, 0);
  assert.equal(h.host.supervisor.pool('idle').recentFailures, 0, 'an idle stop is no failure');
  assert.equal(h.host.supervisor.pool('idle').state, 'started');

  const next = await get(`${h.url}/idle`);
  assert.equal(next.status, 200);
  assert.notEqual(pidOf(next.body), pid, 'a new worker answered');
  assert.equal(h.events(EventIds.WorkerStarted, 'idle').length, 2);
  await h.host.supervisor.stopPool('idle');
});

test('idleTimeoutAction Suspend: the idle worker is frozen (state T), pings pause, and the next request thaws the same process', async () => {
  const pid = pidOf((await get(`${h.url}/frozen`)).body);
  const e = await h.waitForEvent(EventIds.IdleShutdown, 'frozen', 5_000);
  assert.equal(e.pid, pid);
  assert.equal(e.details.action, 'Suspend');
  const [w] = h.host.supervisor.workers('frozen');
  assert.equal(w.state, 'suspended');
  // The kernel freezes asynchronously: wait for the freezer (or SIGSTOP's state T) to show it.
  await waitFor(() => isFrozen(pid), 2_000, 'frozen (cgroup freezer, or state T)');
  // Several ping intervals and more than pingResponseTime pass while frozen: not a hang.
  await sleep(600);
  assert.ok(isFrozen(pid), 'still frozen');
  assert.equal(h.events(EventIds.PingMissed, 'frozen').length, 0);
  assert.equal(h.events(EventIds.IdleShutdown, 'frozen').length, 1, 'suspended once');

  const thawed = await get(`${h.url}/frozen`);
  assert.equal(thawed.status, 200);
  assert.equal(pidOf(thawed.body), pid, 'the same process answered');
  assert.ok(!isFrozen(pid), 'thawed');
  assert.equal(h.host.supervisor.workers('frozen')[0].state, 'ready');
  assert.equal(h.events(EventIds.WorkerStarted, 'frozen').length, 1, 'no new worker was started');
  // Pings resume after the thaw and are answered (keep the worker busy so it is not suspended again).
  for (let i = 0; i < 6; i++) {
    assert.equal(pidOf((await get(`${h.url}/frozen`)).body), pid);
    await sleep(100);
  }
  assert.equal(h.events(EventIds.PingMissed, 'frozen').length, 0);
  await h.host.supervisor.stopPool('frozen');
  await waitFor(() => !alive(pid), 5_000, 'a suspended worker is thawed to drain and exits');
});

test('a worker thawed after a long suspension is not taken for one whose event loop was blocked', async () => {
  const pid = pidOf((await get(`${h.url}/frozen-watch`)).body);
  await h.waitForEvent(EventIds.IdleShutdown, 'frozen-watch', 5_000);
  await waitFor(() => isFrozen(pid), 2_000, 'frozen (cgroup freezer, or state T)');
  // Frozen for longer than eventLoopDelayTime (500 ms) with samples over eventLoopDelayLimit (200 ms).
  await sleep(1_200);
  const thawed = await get(`${h.url}/frozen-watch`);
  assert.equal(pidOf(thawed.body), pid);
  await sleep(1_000);
  assert.deepEqual(h.events(EventIds.RecycleUnhealthy, 'frozen-watch').map((e) => e.details.reason), []);
  assert.equal(pidOf((await get(`${h.url}/frozen-watch`)).body), pid, 'still the same worker');
});

test('startMode AlwaysRunning: a worker starts without a request, comes back by itself when killed, and is not stopped for idleness', async () => {
  const first = await waitFor(() => h.host.supervisor.workers('always').find((w) => w.state === 'ready'), 10_000, 'the always-running worker');
  assert.equal(h.host.supervisor.pool('always').requests, 0, 'no request started it');
  // That idleTimeout does not stop an AlwaysRunning worker, and that nothing comes back after an
  // administrator's stop, are the pool core's decisions: src/pools/pool-core.test.ts proves them
  // on a fake clock instead of waiting here for nothing to happen.

  process.kill(first.pid!, 'SIGKILL');
  const crash = await h.waitForEvent(EventIds.WorkerCrashed, 'always');
  assert.equal(crash.pid, first.pid);
  const second = await waitFor(() => h.host.supervisor.workers('always').find((w) => w.state === 'ready' && w.pid !== first.pid), 10_000, 'a replacement');
  assert.equal(h.host.supervisor.pool('always').requests, 0, 'it came back without a request');
  const r = await get(`${h.url}/always`);
  assert.equal(r.status, 200);
  assert.equal(pidOf(r.body), second.pid);

  // An administrator's stop is respected: nothing comes back until started.
  await h.host.supervisor.stopPool('always');
  assert.equal(h.host.supervisor.workers('always').length, 0);
  await h.host.supervisor.startPool('always');
  await waitFor(() => h.host.supervisor.workers('always').some((w) => w.state === 'ready'), 10_000, 'started again without a request');
  assert.equal(h.host.supervisor.pool('always').requests, 1);
  await h.host.supervisor.stopPool('always');
});

test('startMode AlwaysRunning: a worker that dies at every start is not restarted past rapid-fail protection (5002)', async () => {
  await h.host.supervisor.startPool('always-bad');
  const stopped = await h.waitForEvent(EventIds.RapidFailStopped, 'always-bad', 10_000);
  assert.ok(stopped);
  await waitFor(() => h.host.supervisor.pool('always-bad').state === 'stopped', 5_000, 'the pool stopped');
  assert.equal(h.host.supervisor.pool('always-bad').stopReason, 'rapidFail');
  const started = h.events(EventIds.WorkerStarted, 'always-bad').length;
  assert.equal(started, 3, 'three starts, three crashes, then no more (pool-core.test.ts: neither exits nor ticks start one after)');
  assert.equal(h.host.supervisor.workers('always-bad').length, 0);
});

test('autoStart: false leaves the pool stopped, answering 503, until it is started', async () => {
  assert.equal(h.host.supervisor.pool('manual').state, 'stopped');
  const refused = await get(`${h.url}/manual`);
  assert.equal(refused.status, 503);
  assert.equal(h.host.supervisor.workers('manual').length, 0);
  assert.equal(h.events(EventIds.WorkerStarted, 'manual').length, 0, 'no worker was ever started');
  await h.host.supervisor.startPool('manual');
  await h.waitForEvent(EventIds.PoolStartedByAdmin, 'manual');
  const served = await get(`${h.url}/manual`);
  assert.equal(served.status, 200);
  await h.host.supervisor.stopPool('manual');
});
