import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHost, get, helloPool, waitFor, alive, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: {
      web: helloPool({
        processModel: { pingInterval: '300ms', pingResponseTime: '700ms' },
        failure: { orphanWorkerProcess: true, orphanAction: ['node', '-e', 'console.log("debugging pid " + process.argv[1])', '{pid}'], maxOrphanedProcesses: 1, rapidFailProtection: false },
      }),
    },
  });
});
after(() => h?.stop());

function pidOf(body: string): number {
  return Number(/pid (\d+)/.exec(body)?.[1]);
}

async function hangOne(): Promise<number> {
  const pid = pidOf((await get(`${h.url}/`)).body);
  void get(`${h.url}/hang`, { method: 'POST', body: 'x' }).catch(() => null);
  await waitFor(() => h.host.supervisor.workers('web').some((w) => w.pid === pid && w.state === 'orphaned'), 10_000, `worker ${pid} orphaned`);
  return pid;
}

test('a hung worker is orphaned, not killed: the action runs with its pid and a replacement serves', async () => {
  const pid = await hangOne();
  const e = await h.waitForEvent(EventIds.WorkerOrphaned, 'web');
  assert.equal(e.pid, pid);
  assert.match(String(e.details.actionOutput), new RegExp(`debugging pid ${pid}`));
  assert.equal(e.details.actionExitCode, 0);
  assert.ok(alive(pid), 'the orphan is left running for the debugger');
  const r = await get(`${h.url}/`);
  assert.equal(r.status, 200);
  assert.notEqual(pidOf(r.body), pid);
  const listed = h.host.supervisor.workers('web').find((w) => w.pid === pid);
  assert.equal(listed?.state, 'orphaned', 'paddock workers shows the orphan');
});

test('orphans are capped: beyond maxOrphanedProcesses the oldest is killed', async () => {
  const first = h.events(EventIds.WorkerOrphaned, 'web')[0].pid!;
  const second = await hangOne();
  const killed = await h.waitForEvent(EventIds.OrphanKilled, 'web');
  assert.equal(killed.pid, first);
  await waitFor(() => !alive(first), 5_000, 'the oldest orphan gone');
  assert.ok(alive(second));
});

test('orphans do not outlive the host', async () => {
  const orphans = h.host.supervisor.workers('web').filter((w) => w.state === 'orphaned').map((w) => w.pid!);
  assert.ok(orphans.length > 0);
  await h.stop();
  assert.ok(orphans.every((p) => !alive(p)));
});
