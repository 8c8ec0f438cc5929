/**
 * A host that gets no cgroups keeps the behaviour of process groups and says so: event 7101 with
 * the reason, GET /api/isolation, Suspend by SIGSTOP, Throttle by the duty cycle, and a daemon that
 * holds a worker's stdout still does not keep the host from stopping.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startTestHost, get, waitFor, alive, fixtures, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

const reason = 'no cgroup hierarchy is mounted';
const treeWorker = ['node', join(fixtures, 'tree-worker.mjs')];
const daemons: number[] = [];

function state(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ')[0];
}

let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/daemon', pool: 'daemon' }, { path: '/frozen', pool: 'frozen' }] }],
    pools: {
      daemon: { command: treeWorker, env: { TREE_DAEMON: '1' }, limits: { memory: '64MB', tasks: 10 }, processModel: { shutdownTimeLimit: '3s' } },
      frozen: { command: treeWorker, processModel: { idleTimeout: '300ms', idleTimeoutAction: 'Suspend' } },
    },
  }, { cgroupLayout: { kind: 'none', reason } });
});
after(async () => {
  await h?.stop();
  for (const pid of daemons) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

test('without cgroups the host says why (7101, GET /api/isolation) and nothing pretends', async () => {
  const e = await h.waitForEvent(EventIds.CgroupsUnavailable);
  assert.equal(e.level, 'warning');
  assert.match(e.message, /no cgroup hierarchy is mounted.*limits\.memory and limits\.tasks are not enforced/);
  assert.equal(h.events(EventIds.CgroupsInUse).length, 0);
  const r = h.host.supervisor.isolation();
  assert.deepEqual({ enabled: r.enabled, layout: r.layout, reason: r.reason }, { enabled: false, layout: 'none', reason });
  const [w] = await waitFor(async () => ((await get(`${h.url}/daemon/tree`)).status === 200 ? h.host.supervisor.poolMap.get('daemon')!.workers : null), 10_000, 'a worker');
  assert.equal(w.cgroup, null);
  assert.ok(w.cpuSeconds() !== null, 'CPU from /proc');
});

test('without cgroups Suspend stops the worker with SIGSTOP (state T)', async () => {
  const { pid } = JSON.parse((await get(`${h.url}/frozen/tree`)).body) as { pid: number };
  await h.waitForEvent(EventIds.IdleShutdown, 'frozen', 5_000);
  await waitFor(() => state(pid) === 'T', 3_000, 'state T');
  assert.equal(JSON.parse((await get(`${h.url}/frozen/tree`)).body).pid, pid);
});

test('without cgroups a daemon holding the worker\'s stdout does not keep the pool or the host from stopping', async () => {
  const tree = await waitFor(async () => {
    const t = JSON.parse((await get(`${h.url}/daemon/tree`)).body) as { pid: number; daemon: number | null };
    return t.daemon !== null ? t : null;
  }, 10_000, 'the daemon');
  daemons.push(tree.daemon!);
  const t0 = Date.now();
  await h.host.supervisor.stopPool('daemon');
  await waitFor(() => !alive(tree.pid), 5_000, 'the worker gone');
  assert.ok(Date.now() - t0 < 10_000);
  // Process groups only: the setsid daemon outlives its worker, as docs/isolation.md says.
  assert.ok(alive(tree.daemon!), 'the daemon outlived the worker (no cgroup to end it)');
  await h.stop();
});
