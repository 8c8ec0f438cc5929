import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { startTestHost, get, helloPool, load, waitFor, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/tcp', pool: 'tcp' }, { path: '/small', pool: 'small' }] }],
    pools: {
      web: helloPool(),
      tcp: helloPool({ failure: { loadBalancerCapabilities: 'TcpLevel' } }),
      small: helloPool({ queueLength: 2, env: { HELLO_START_DELAY_MS: '1500' } }),
    },
  });
});
after(() => h?.stop());

test('a full queue answers 503 QueueFull; queued requests are served once the worker is ready', async () => {
  // The worker takes 1.5 s to listen: two requests wait in the queue, the third is refused.
  const queued = [get(`${h.url}/small/a`), get(`${h.url}/small/b`)];
  await waitFor(() => h.host.supervisor.pool('small').queued === 2, 5_000, 'two queued');
  const refused = await get(`${h.url}/small/c`);
  assert.equal(refused.status, 503);
  assert.match(refused.body, /QueueFull/);
  const served = await Promise.all(queued);
  assert.deepEqual(served.map((r) => r.status), [200, 200]);
  assert.equal(h.host.supervisor.pool('small').refused.QueueFull, 1);
});

test('a stopped pool answers 503 with Retry-After; started again it serves', async () => {
  assert.equal((await get(`${h.url}/`)).status, 200);
  await h.host.supervisor.stopPool('web');
  await h.waitForEvent(EventIds.PoolStoppedByAdmin, 'web');
  const r = await get(`${h.url}/`);
  assert.equal(r.status, 503);
  assert.ok(r.headers['retry-after'], 'Retry-After is set');
  assert.match(r.body, /Disabled/);
  assert.equal(h.host.supervisor.workers('web').length, 0, 'its workers drained and exited');
  // The answer to HEAD has no body, so the keep-alive connection stays in step (RFC 9110 §9.3.2).
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const heads = [await get(`${h.url}/`, { method: 'HEAD', agent }), await get(`${h.url}/`, { method: 'HEAD', agent }), await get(`${h.url}/`, { agent })];
  assert.deepEqual(heads.map((x) => x.status), [503, 503, 503]);
  assert.equal(heads[0].body, '');
  agent.destroy();
  await h.host.supervisor.startPool('web');
  await h.waitForEvent(EventIds.PoolStartedByAdmin, 'web');
  assert.equal((await get(`${h.url}/`)).status, 200);
});

test('a stopped TcpLevel pool resets the connection instead of answering', async () => {
  assert.equal((await get(`${h.url}/tcp`)).status, 200);
  await h.host.supervisor.stopPool('tcp');
  await assert.rejects(get(`${h.url}/tcp`), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
  await h.host.supervisor.startPool('tcp');
  assert.equal((await get(`${h.url}/tcp`)).status, 200);
});

test('paddock recycle under continuous load: overlapping, zero failed requests', async () => {
  const before = h.host.supervisor.workers('web').map((w) => w.pid);
  const running = load(`${h.url}/`, 6);
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 3; i++) {
    const n = h.events(EventIds.RecycleAdmin, 'web').length;
    await h.host.supervisor.recyclePool('web');
    await waitFor(() => h.events(EventIds.RecycleAdmin, 'web').length > n, 5_000, 'recycle event');
    await waitFor(() => h.host.supervisor.workers('web').every((w) => w.state === 'ready') && h.host.supervisor.workers('web').length === 1, 10_000, 'recycle done');
    await new Promise((r) => setTimeout(r, 200));
  }
  const result = await running.stop();
  assert.equal(result.failed, 0, `failed requests: ${result.failures.join('; ')}`);
  assert.ok(result.ok > 50, `served ${result.ok}`);
  const after = h.host.supervisor.workers('web').map((w) => w.pid);
  assert.notDeepEqual(after, before, 'the worker was replaced');
});
