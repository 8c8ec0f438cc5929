/**
 * Recycle triggers (IIS `recycling.periodicRestart`, admin recycle, the worker's own report) under
 * continuous load, overlapping and with disallowOverlappingRotation: each trigger writes its event
 * once, with the figure that tripped it, and no request fails. Plus a replacement that cannot start
 * (IIS 5093): the old worker keeps serving.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestHost, get, helloPool, load, waitFor, alive, oneSite, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import type { PaddockEvent } from '../src/events/event-log.ts';
import type { WorkerSnapshot } from '../src/admin/host-control.ts';

const MB = 1024 * 1024;
const modes = [
  { suffix: 'o', recycling: {} },
  { suffix: 'n', recycling: { disallowOverlappingRotation: true } },
] as const;

/** Virtual memory (VmSize) of a process, in bytes. */
function virtualBytes(pid: number): number {
  const m = /VmSize:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  assert.ok(m, `VmSize of ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Node reserves most of its virtual memory up front, and how much differs between machines: the
 * virtual-memory limit is set relative to what a hello worker uses here.
 */
async function helloVirtualBytes(): Promise<number> {
  const probe = await startTestHost({ sites: oneSite('web'), pools: { web: helloPool() } });
  try {
    assert.equal((await get(`${probe.url}/`)).status, 200);
    return virtualBytes(probe.host.supervisor.workers('web')[0].pid!);
  } finally {
    await probe.stop();
  }
}

/**
 * Every pool is reachable two ways: `/<pool>` on any host (what the load uses; the worker answers
 * its greeting for any path), and `<pool>.test` with the whole path left to the worker (to reach
 * the fixture's routes such as /alloc and /unhealthy).
 */
function hostConfig(pools: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const names = Object.keys(pools);
  return {
    sites: [
      { name: 'load', hosts: ['*'], apps: names.map((p) => ({ path: `/${p}`, pool: p })) },
      ...names.map((p) => ({ name: p, hosts: [`${p}.test`], apps: [{ path: '/', pool: p }] })),
    ],
    pools,
  };
}

let h: TestHost;
let virtualLimit = 0;
/** The pools as `before` wrote them. */
let written: Record<string, Record<string, unknown>> = {};
before(async () => {
  virtualLimit = (await helloVirtualBytes()) + 128 * MB;
  const pools: Record<string, Record<string, unknown>> = {};
  for (const m of modes) {
    const recycling = (periodicRestart: Record<string, unknown>) => ({ ...m.recycling, periodicRestart: { time: 0, ...periodicRestart } });
    pools[`time-${m.suffix}`] = helloPool({ recycling: recycling({ time: '1s' }) });
    pools[`requests-${m.suffix}`] = helloPool({ recycling: recycling({ requests: 100 }) });
    // Every second: started only by its test, so it does not recycle through the others.
    pools[`schedule-${m.suffix}`] = helloPool({ autoStart: false, recycling: recycling({ schedule: ['* * * * * *'] }) });
    pools[`memory-${m.suffix}`] = helloPool({ recycling: recycling({ memory: virtualLimit / 1024 }) });
    pools[`private-${m.suffix}`] = helloPool({ recycling: recycling({ privateMemory: '128MB' }) });
    pools[`admin-${m.suffix}`] = helloPool({ recycling: recycling({}) });
    pools[`unhealthy-${m.suffix}`] = helloPool({ recycling: recycling({}) });
  }
  pools.doomed = helloPool({ processModel: { startupTimeLimit: '10s' } });
  written = pools;
  h = await startTestHost(hostConfig(pools));
});
after(() => h?.stop());

/** A request to the fixture route `path` of `pool`'s worker. */
function kick(pool: string, path: string): Promise<{ status: number; body: string }> {
  return get(`${h.url}${path}`, { headers: { host: `${pool}.test` } });
}

function readyWorker(pool: string): Promise<WorkerSnapshot> {
  return waitFor(() => h.host.supervisor.workers(pool).find((w) => w.state === 'ready'), 10_000, `a ready worker of ${pool}`);
}

/**
 * Runs load on `pool`, lets `trigger` make its first worker recycle, and waits until a new worker
 * serves alone. Returns the recycle event of the first worker. Asserts zero failed requests.
 */
async function throughRecycle(pool: string, eventId: number, trigger: (first: WorkerSnapshot) => Promise<void> = async () => {}): Promise<{ event: PaddockEvent; first: WorkerSnapshot; next: WorkerSnapshot }> {
  const running = load(`${h.url}/${pool}`, 4);
  try {
    const first = await readyWorker(pool);
    await trigger(first);
    const event = await waitFor(() => h.events(eventId, pool).find((e) => e.worker === first.id), 15_000, `event ${eventId} for ${first.id}`);
    const next = await waitFor(() => {
      const ws = h.host.supervisor.workers(pool);
      return ws.length === 1 && ws[0].state === 'ready' && ws[0].id !== first.id ? ws[0] : null;
    }, 15_000, `${pool}: the replacement serving alone`);
    await new Promise((r) => setTimeout(r, 150)); // the new worker takes some of the load too
    const result = await running.stop();
    assert.equal(result.failed, 0, `${pool}: failed requests: ${result.failures.join('; ')}`);
    assert.ok(result.ok > 0, `${pool}: served ${result.ok}`);
    assert.equal(h.events(eventId, pool).filter((e) => e.worker === first.id).length, 1, `${pool}: one recycle event for ${first.id}`);
    assert.notEqual(next.pid, first.pid);
    await waitFor(() => !alive(first.pid!), 5_000, `${pool}: the old worker exited`);
    return { event, first, next };
  } finally {
    await running.stop();
    // Quiet the pool, so its trigger does not fire again through the tests that follow.
    if (h.host.supervisor.pool(pool).state === 'started') await h.host.supervisor.stopPool(pool);
  }
}

/** Runs `scenario` for the overlapping and the non-overlapping pool of `kind` at once. */
async function bothModes(kind: string, scenario: (pool: string) => Promise<void>): Promise<void> {
  await Promise.all(modes.map((m) => scenario(`${kind}-${m.suffix}`)));
}

test('time: a worker older than periodicRestart.time is recycled once (5074, with its age), no request fails', async () => {
  await bothModes('time', async (pool) => {
    const { event } = await throughRecycle(pool, EventIds.RecycleTime);
    assert.equal(event.details.trigger, 'Time');
    assert.equal(event.details.limitMs, 1000);
    assert.ok(typeof event.details.ageMs === 'number' && event.details.ageMs >= 1000, `ageMs ${event.details.ageMs}`);
  });
});

test('requests: a worker that served periodicRestart.requests is recycled once (5075, with its count), no request fails', async () => {
  await bothModes('requests', async (pool) => {
    const { event, first } = await throughRecycle(pool, EventIds.RecycleRequests);
    assert.equal(event.details.trigger, 'Requests');
    assert.equal(event.details.limit, 100);
    assert.ok(typeof event.details.requests === 'number' && event.details.requests >= 100, `requests ${event.details.requests}`);
    assert.equal(event.pid, first.pid);
  });
});

test('schedule: a cron schedule recycles the pool once per tick (5076, with the time), no request fails', async () => {
  await bothModes('schedule', async (pool) => {
    await h.host.supervisor.startPool(pool);
    const { event } = await throughRecycle(pool, EventIds.RecycleSchedule);
    assert.equal(event.details.trigger, 'Schedule');
    assert.ok(typeof event.details.scheduled === 'string' && !Number.isNaN(Date.parse(event.details.scheduled)), `scheduled ${event.details.scheduled}`);
  });
});

test('memory: a worker past periodicRestart.memory (virtual) is recycled once (5077, with the measured bytes), no request fails', async () => {
  await bothModes('memory', async (pool) => {
    const { event, first } = await throughRecycle(pool, EventIds.RecycleMemory, async (w) => {
      assert.ok(virtualBytes(w.pid!) < virtualLimit, 'below the limit before /alloc');
      assert.equal((await kick(pool, '/alloc?mb=256')).status, 200);
    });
    assert.equal(event.details.trigger, 'Memory');
    assert.equal(event.details.limitBytes, virtualLimit);
    const measured = event.details.virtualBytes as number;
    assert.ok(measured > virtualLimit, `virtualBytes ${measured} > ${virtualLimit}`);
    assert.equal(event.pid, first.pid);
  });
});

test('privateMemory: a worker past periodicRestart.privateMemory is recycled once (5117, with the measured bytes), no request fails', async () => {
  await bothModes('private', async (pool) => {
    const { event } = await throughRecycle(pool, EventIds.RecyclePrivateMemory, async () => {
      assert.equal((await kick(pool, '/alloc?mb=256')).status, 200);
    });
    assert.equal(event.details.trigger, 'PrivateMemory');
    assert.equal(event.details.limitBytes, 128 * MB);
    const measured = event.details.privateBytes as number;
    // The sample may land while the worker is still touching its new pages: above the limit is what counts.
    assert.ok(measured > 128 * MB, `privateBytes ${measured}`);
  });
});

test('admin: paddock recycle writes 5079 once per worker, no request fails', async () => {
  await bothModes('admin', async (pool) => {
    const { event } = await throughRecycle(pool, EventIds.RecycleAdmin, () => h.host.supervisor.recyclePool(pool));
    assert.equal(event.details.trigger, 'OnDemand');
  });
});

test('unhealthy: a worker that reports itself unhealthy is recycled (5078, with its reason), no request fails', async () => {
  await bothModes('unhealthy', async (pool) => {
    const { event } = await throughRecycle(pool, EventIds.RecycleUnhealthy, async () => {
      assert.equal((await kick(pool, '/unhealthy')).status, 200);
    });
    assert.equal(event.details.trigger, 'IsapiUnhealthy');
    assert.equal(event.details.reason, 'asked by /unhealthy');
  });
});

/** Rewrites the `doomed` pool's config, every other pool as it was, and reloads. */
async function reloadDoomed(pool: Record<string, unknown>): Promise<void> {
  h.writeConfig(hostConfig({ ...written, doomed: pool }));
  const r = await h.host.supervisor.reload();
  assert.ok(r.ok, `reload: ${r.ok ? '' : r.errors.join('\n')}`);
  assert.deepEqual(r.changed, ['doomed']);
}

test('a replacement that never becomes ready leaves the old worker serving (5093); a later trigger replaces it', async () => {
  const running = load(`${h.url}/doomed`, 4);
  try {
    const first = await readyWorker('doomed');
    // The replacement stays up without listening and trips a short startupTimeLimit.
    await reloadDoomed(helloPool({ env: { HELLO_NEVER_LISTEN: '1' }, processModel: { startupTimeLimit: '600ms' } }));
    const recycle = await h.waitForEvent(EventIds.RecycleConfigChange, 'doomed');
    assert.equal(recycle.worker, first.id);
    const failed = await h.waitForEvent(EventIds.OverlappedRecycleFailed, 'doomed');
    assert.equal(failed.worker, first.id, '5093 names the old worker');
    assert.equal(failed.pid, first.pid);
    const timeout = h.events(EventIds.StartupTimeLimit, 'doomed');
    assert.equal(timeout.length, 1, 'the replacement hit startupTimeLimit (5012)');
    assert.equal(failed.details.replacement, timeout[0].worker);
    assert.equal(alive(timeout[0].pid!), false, 'the replacement was killed');
    // The old worker still serves, and is the only one.
    const after = await get(`${h.url}/doomed`);
    assert.equal(after.status, 200);
    assert.match(after.body, new RegExp(`pid ${first.pid}$`));
    assert.deepEqual(h.host.supervisor.workers('doomed').map((w) => [w.pid, w.state]), [[first.pid, 'ready']]);
    assert.equal(h.host.supervisor.pool('doomed').recentFailures, 1, 'the failure counts toward rapid-fail');

    // A later trigger tries again (here an administrator's): it fails the same way, and the
    // failures add up toward rapid-fail.
    await h.host.supervisor.recyclePool('doomed');
    await h.waitForEvent(EventIds.OverlappedRecycleFailed, 'doomed', 15_000, 2);
    assert.equal(h.events(EventIds.StartupTimeLimit, 'doomed').length, 2);
    assert.equal(h.host.supervisor.pool('doomed').recentFailures, 2);
    assert.deepEqual(h.host.supervisor.workers('doomed').map((w) => [w.pid, w.state]), [[first.pid, 'ready']]);

    // A replacement that crashes at start: the same outcome.
    await reloadDoomed(helloPool({ command: ['node', '-e', 'process.exit(3)'] }));
    await h.waitForEvent(EventIds.OverlappedRecycleFailed, 'doomed', 15_000, 3);
    const crash = h.events(EventIds.WorkerCrashed, 'doomed');
    assert.equal(crash.length, 1);
    assert.equal(crash[0].details.exitCode, 3);
    assert.equal(crash[0].details.state, 'starting');
    assert.deepEqual(h.host.supervisor.workers('doomed').map((w) => [w.pid, w.state]), [[first.pid, 'ready']]);

    // A later trigger tries again: with a good configuration the worker is replaced.
    await reloadDoomed(helloPool());
    await h.waitForEvent(EventIds.RecycleConfigChange, 'doomed', 15_000, 3);
    await waitFor(() => {
      const ws = h.host.supervisor.workers('doomed');
      return ws.length === 1 && ws[0].state === 'ready' && ws[0].pid !== first.pid;
    }, 15_000, 'the good replacement serving alone');
    const result = await running.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join('; ')}`);
    assert.equal(h.events(EventIds.OverlappedRecycleFailed, 'doomed').length, 3);
    assert.equal(h.host.supervisor.pool('doomed').state, 'started');
  } finally {
    await running.stop();
  }
});
