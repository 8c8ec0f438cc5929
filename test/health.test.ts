import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestHost, fixtures, get, helloPool, load, waitFor, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
const quickPing = { pingInterval: '300ms', pingResponseTime: '700ms' };
before(async () => {
  h = await startTestHost({
    sites: [{
      name: 's',
      hosts: ['*'],
      apps: [
        { path: '/', pool: 'web' },
        { path: '/py', pool: 'py' },
        { path: '/closer', pool: 'closer' },
        { path: '/stall', pool: 'stall' },
      ],
    }],
    pools: {
      web: helloPool({ processModel: quickPing, failure: { rapidFailProtection: false } }),
      py: { command: ['python3', join(fixtures, 'py_hang.py')], runtime: 'generic', processModel: { ...quickPing, pingPath: '/ping' }, failure: { rapidFailProtection: false } },
      closer: { command: ['node', join(fixtures, 'channel-closer.mjs')], runtime: 'generic', processModel: { shutdownTimeLimit: '1s' }, failure: { rapidFailProtection: false } },
      stall: helloPool({ processModel: { eventLoopDelayLimit: '200ms', eventLoopDelayTime: '1s', pingingEnabled: false } }),
    },
  });
});
after(() => h?.stop());

function pidOf(body: string): number {
  return Number(/pid (\d+)/.exec(body)?.[1]);
}

test('a worker in an endless loop misses its ping (5010), is replaced, and the requests queued behind it succeed', async () => {
  const first = await get(`${h.url}/`);
  const hungPid = pidOf(first.body);
  // A POST is not retried: it stays on the hung worker and gets 502 when that worker is killed.
  const hang = get(`${h.url}/hang`, { method: 'POST', body: 'x' });
  await waitFor(() => h.host.supervisor.workers('web').some((w) => w.inFlight === 1), 5_000, 'hang in flight');
  const behind = await Promise.all([get(`${h.url}/a`), get(`${h.url}/b`), get(`${h.url}/c`)]);
  assert.deepEqual(behind.map((r) => r.status), [200, 200, 200], 'the requests behind the hang were answered');
  assert.ok(behind.every((r) => pidOf(r.body) !== hungPid), 'by the replacement');
  const missed = h.events(EventIds.PingMissed, 'web');
  assert.equal(missed[0].pid, hungPid);
  assert.equal((await hang).status, 502);
  const crashes = h.events(EventIds.WorkerCrashed, 'web');
  assert.equal(crashes.length, 0, 'a worker the host killed for hanging is not also reported as a crash');
});

test('an HTTP-pinged Python worker that stops answering is replaced', async () => {
  const first = await get(`${h.url}/py/`);
  const pid = pidOf(first.body);
  await get(`${h.url}/py/hang`);
  const e = await h.waitForEvent(EventIds.PingMissed, 'py');
  assert.equal(e.pid, pid);
  const after = await waitFor(async () => {
    const res = await get(`${h.url}/py/`);
    return pidOf(res.body) !== pid ? res : null;
  }, 10_000, 'a replacement');
  assert.equal(after.status, 200);
});

test('reportUnhealthy recycles the worker (5078) with no failed request', async () => {
  const running = load(`${h.url}/`, 4);
  await new Promise((r) => setTimeout(r, 200));
  const before = h.host.supervisor.workers('web').map((w) => w.pid);
  const r = await get(`${h.url}/unhealthy`);
  assert.equal(r.status, 200);
  const e = await h.waitForEvent(EventIds.RecycleUnhealthy, 'web');
  assert.match(e.message, /asked by \/unhealthy/);
  await waitFor(() => {
    const now = h.host.supervisor.workers('web');
    return now.length === 1 && now[0].state === 'ready' && !before.includes(now[0].pid) ? now : null;
  }, 10_000, 'the replacement alone');
  const result = await running.stop();
  assert.equal(result.failed, 0, result.failures.join('; '));
});

test('an event loop stalled past the threshold reports itself unhealthy and is recycled', async () => {
  const first = await get(`${h.url}/stall/`);
  const pid = pidOf(first.body);
  await get(`${h.url}/stall/block?ms=1500`);
  const e = await h.waitForEvent(EventIds.RecycleUnhealthy, 'stall');
  assert.equal(e.pid, pid);
  assert.match(e.message, /event loop/);
  assert.ok(Number(e.details.eventLoopDelayMs) >= 1000, `figure in the event: ${JSON.stringify(e.details)}`);
  await waitFor(async () => pidOf((await get(`${h.url}/stall/`)).body) !== pid, 10_000, 'a replacement');
});

test('a control channel that breaks while the worker lives is a fatal communication error (5011), and the worker is recycled', async () => {
  const first = await get(`${h.url}/closer/`);
  const pid = pidOf(first.body);
  await get(`${h.url}/closer/close-channel`);
  const e = await h.waitForEvent(EventIds.ChannelBroken, 'closer');
  assert.equal(e.pid, pid);
  await waitFor(async () => pidOf((await get(`${h.url}/closer/`)).body) !== pid, 10_000, 'a replacement');
});
