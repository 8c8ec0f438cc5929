import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestHost, fixtures, get, helloPool, waitFor, alive, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'never' }, { path: '/stubborn', pool: 'stubborn' }] }],
    pools: {
      never: helloPool({ env: { HELLO_NEVER_LISTEN: '1' }, processModel: { startupTimeLimit: '700ms' }, failure: { rapidFailProtection: false } }),
      stubborn: { command: ['node', join(fixtures, 'ignore-sigterm.mjs')], runtime: 'generic', processModel: { shutdownTimeLimit: '700ms', startupTimeLimit: '5s' } },
    },
  });
});
after(() => h?.stop());

test('a worker that is not ready within startupTimeLimit is killed with event 5012', async () => {
  const pending = get(`${h.url}/`, { timeoutMs: 3_000 }).catch(() => null);
  const e = await h.waitForEvent(EventIds.StartupTimeLimit, 'never');
  assert.equal(e.details.startupTimeLimitMs, 700);
  assert.ok(e.pid !== null);
  await waitFor(() => !alive(e.pid!), 5_000, 'the worker killed');
  await pending;
  await h.host.supervisor.stopPool('never');
});

test('a worker that ignores SIGTERM is killed after shutdownTimeLimit with event 5013', async () => {
  const r = await get(`${h.url}/stubborn`);
  assert.equal(r.body, 'stubborn');
  const [w] = h.host.supervisor.workers('stubborn');
  await h.host.supervisor.stopPool('stubborn');
  const e = await h.waitForEvent(EventIds.ShutdownTimeLimit, 'stubborn');
  assert.equal(e.pid, w.pid);
  assert.equal(e.details.shutdownTimeLimitMs, 700);
  assert.equal(alive(w.pid!), false);
});
