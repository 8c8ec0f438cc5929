import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { startTestHost, get, helloPool, oneSite, waitFor, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({ sites: oneSite('web'), pools: { web: helloPool({ failure: { rapidFailProtectionMaxCrashes: 100 } }) } });
});
after(() => h?.stop());

function pidOf(body: string): number {
  const m = /pid (\d+)/.exec(body);
  assert.ok(m, `no pid in ${body}`);
  return Number(m[1]);
}

test('a worker killed with SIGKILL between requests: the keep-alive connection survives and the next request is served by a replacement', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const first = await get(`${h.url}/`, { agent });
  const pid = pidOf(first.body);
  const sockets: unknown[] = [];
  agent.on('free', (s) => sockets.push(s));
  process.kill(pid, 'SIGKILL');
  await h.waitForEvent(EventIds.WorkerCrashed, 'web');
  const second = await get(`${h.url}/`, { agent });
  assert.equal(second.status, 200);
  assert.notEqual(pidOf(second.body), pid, 'a replacement answered');
  assert.equal(new Set(sockets).size, 1, 'both requests used one client connection');
  const crash = h.events(EventIds.WorkerCrashed, 'web')[0];
  assert.equal(crash.pid, pid);
  assert.equal(crash.details.signal, 'SIGKILL');
  agent.destroy();
});

test('a GET in hand when the worker dies is retried on the replacement: the client never sees the crash', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const before = h.events(EventIds.WorkerCrashed, 'web').length;
  const r = await get(`${h.url}/kill`, { agent });
  // /kill kills the worker that receives it; the retry kills the replacement too. The second
  // failure is not retried again, so the client sees exactly one 502: retry is once, not forever.
  assert.equal(r.status, 502);
  await waitFor(() => h.events(EventIds.WorkerCrashed, 'web').length >= before + 2, 10_000, 'two crashes');

  // A GET that outlives its worker: hold a slow request, kill the worker under it.
  const ready = await get(`${h.url}/`, { agent });
  const pid = pidOf(ready.body);
  const slow = get(`${h.url}/slow?ms=3000`, { agent });
  await waitFor(() => h.host.supervisor.workers('web').some((w) => w.inFlight === 1), 5_000, 'request in flight');
  process.kill(pid, 'SIGKILL');
  const answered = await slow;
  assert.equal(answered.status, 200, 'the retried GET succeeded');
  const after = await get(`${h.url}/`, { agent });
  assert.equal(after.status, 200, 'and the connection is still usable');
  agent.destroy();
});

test('a POST in hand when the worker dies gets 502 and the connection stays open', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ready = await get(`${h.url}/`, { agent });
  const pid = pidOf(ready.body);
  const slow = get(`${h.url}/slow?ms=3000`, { agent, method: 'POST', body: 'x=1' });
  await waitFor(() => h.host.supervisor.workers('web').some((w) => w.inFlight === 1), 5_000, 'request in flight');
  process.kill(pid, 'SIGKILL');
  const r = await slow;
  assert.equal(r.status, 502);
  const next = await get(`${h.url}/`, { agent });
  assert.equal(next.status, 200, 'the same connection serves the next request');
  agent.destroy();
});
