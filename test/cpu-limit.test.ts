import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { startTestHost, get, helloPool, waitFor, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
before(async () => {
  const cpuPool = (action: string): Record<string, unknown> =>
    helloPool({ cpu: { limit: '5%', action, resetInterval: '3s' }, processModel: { eventLoopDelayLimit: 0 } });
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/kill', pool: 'kill' }, { path: '/log', pool: 'log' }, { path: '/throttle', pool: 'throttle' }] }],
    pools: { kill: cpuPool('KillW3wp'), log: cpuPool('NoAction'), throttle: cpuPool('Throttle') },
  });
});
after(() => h?.stop());

/** Burns CPU in the pool's worker until the CPU-limit event appears (a loaded machine may need more than one try). */
async function burnUntilLimited(pool: string) {
  return waitFor(async () => {
    await get(`${h.url}/${pool}/block?ms=1500`);
    return h.events(EventIds.CpuLimit, pool)[0] ?? null;
  }, 20_000, `event 5090 of pool ${pool}`);
}

test('KillW3wp: a pool over its CPU limit is stopped (5090, 503 AppShutdown) and starts again after the interval', async () => {
  assert.equal((await get(`${h.url}/kill/`)).status, 200);
  const e = await burnUntilLimited('kill');
  assert.equal(e.details.action, 'KillW3wp');
  assert.ok(Number(e.details.usedSeconds) > Number(e.details.budgetSeconds));
  const refused = await get(`${h.url}/kill/`);
  assert.equal(refused.status, 503);
  assert.match(refused.body, /AppShutdown/);
  await waitFor(() => h.host.supervisor.pool('kill').state === 'started', 10_000, 'the pool back after the reset interval');
  assert.equal((await get(`${h.url}/kill/`)).status, 200);
});

test('NoAction: the limit is logged and the pool keeps serving', async () => {
  const e = await burnUntilLimited('log');
  assert.equal(e.details.action, 'NoAction');
  assert.equal((await get(`${h.url}/log/`)).status, 200);
});

test('Throttle: the kernel holds the pool at its limit (a duty cycle without cgroups) and it keeps serving', async () => {
  const e = await burnUntilLimited('throttle');
  assert.equal(e.details.action, 'Throttle');
  if (h.host.supervisor.isolation().enabled) {
    assert.equal(e.details.enforcement, 'cgroup');
    // 5% of all CPUs, in CPUs.
    assert.ok(Math.abs(Number(e.details.quotaCpus) - 0.05 * availableParallelism()) < 1e-9, `quota ${e.details.quotaCpus}`);
    assert.ok(Number(e.details.throttledPeriods) > 0);
  } else {
    assert.equal(e.details.enforcement, 'dutyCycle');
    assert.ok(Number(e.details.duty) > 0 && Number(e.details.duty) < 1);
  }
  assert.equal((await get(`${h.url}/throttle/`)).status, 200);
});
