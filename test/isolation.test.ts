/**
 * Isolation by cgroups, with real processes and the real cgroups of this machine: a worker is its
 * whole cgroup (a daemonised grandchild ends with it), the kernel enforces the pool's limits, and
 * the figures are the tree's. Skips, saying why, only where the host gets no cgroups.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startTestHost, get, waitFor, fixtures, type TestHost } from './helpers/test-host.ts';
import { cgroupSkip, isFrozen } from './helpers/cgroups.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { isRunning } from '../src/supervisor/proc-stats.ts';

const treeWorker = ['node', join(fixtures, 'tree-worker.mjs')];
const cores = availableParallelism();
const quick = { startupTimeLimit: '10s', shutdownTimeLimit: '3s' };

/** A pool running the tree worker. */
function treePool(env: Record<string, string> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { processModel, ...rest } = extra as { processModel?: Record<string, unknown> };
  return { command: treeWorker, env, processModel: { ...quick, ...(processModel ?? {}) }, ...rest };
}

interface Tree {
  readonly pid: number;
  readonly daemon: number | null;
  readonly children: number[];
}

async function treeOf(url: string): Promise<Tree> {
  const r = await get(url);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Tree;
}

/** A live process: not gone and not a zombie. */
const running = isRunning;

const pools = ['daemon', 'bomb', 'calm', 'oom', 'oomchild', 'throttle', 'garden', 'frozen'];
let h: TestHost;
before(async () => {
  if (cgroupSkip) return;
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: pools.map((p) => ({ path: `/${p}`, pool: p })) }],
    pools: {
      daemon: treePool({ TREE_DAEMON: '1' }),
      bomb: treePool({}, { limits: { tasks: 48 } }),
      calm: treePool(),
      oom: treePool({}, { limits: { memory: '96MB' }, failure: { rapidFailProtection: false } }),
      // A child that grows past the pool's limit: the OOM killer picks it, the largest, not the worker.
      oomchild: treePool({ TREE_CHILDREN: '1', TREE_CHILD_MB: '400' }, { limits: { memory: '96MB' } }),
      // 25% of one CPU, in IIS's unit (1/1000 of a percent of all CPUs).
      throttle: treePool({}, { cpu: { limit: Math.round(25_000 / cores), action: 'Throttle', resetInterval: '1m' }, processModel: { pingingEnabled: false, eventLoopDelayLimit: 0 } }),
      garden: treePool({ TREE_CHILDREN: '2', TREE_CHILD_MB: '60' }, { recycling: { periodicRestart: { privateMemory: '150MB' } } }),
      frozen: treePool({ TREE_DAEMON: '1' }, { processModel: { idleTimeout: '400ms', idleTimeoutAction: 'Suspend' } }),
    },
  });
});
after(() => h?.stop());

test('the host reports its cgroups: GET /api/isolation and event 7100', { skip: cgroupSkip }, async () => {
  const r = h.host.supervisor.isolation();
  assert.equal(r.enabled, true);
  assert.ok(r.root.length > 0 && r.root.every((d) => d.includes('/paddock/')));
  const e = await h.waitForEvent(EventIds.CgroupsInUse);
  assert.equal(e.details.layout, r.layout);
  assert.equal(h.events(EventIds.CgroupsUnavailable).length, 0);
});

test('a worker\'s double-forked setsid grandchild ends when the worker is recycled, and when its pool stops', { skip: cgroupSkip }, async () => {
  const first = await treeOf(`${h.url}/daemon/tree`);
  assert.ok(first.daemon !== null && running(first.daemon), 'the daemon runs');
  h.host.supervisor.poolMap.get('daemon')!.recycle('OnDemand', { reason: 'test' });
  await waitFor(() => !running(first.pid), 10_000, 'the old worker gone');
  await waitFor(() => !running(first.daemon!), 5_000, 'the old worker\'s daemon gone with it');
  const second = await waitFor(async () => {
    const t = await treeOf(`${h.url}/daemon/tree`);
    return t.pid !== first.pid && t.daemon !== null ? t : null;
  }, 10_000, 'the replacement and its daemon');
  assert.ok(running(second.daemon!));
  await h.host.supervisor.stopPool('daemon');
  await waitFor(() => !running(second.daemon!), 5_000, 'the daemon gone with the pool\'s stop');
  assert.ok(!running(second.pid));
  await h.host.supervisor.startPool('daemon');
});

test('a fork bomb in one pool hits limits.tasks while another pool serves every request', { skip: cgroupSkip }, async () => {
  const bomb = await get(`${h.url}/bomb/bomb?n=2000`);
  assert.equal(bomb.status, 200);
  const [w] = h.host.supervisor.poolMap.get('bomb')!.workers;
  const root = h.host.supervisor.isolation().root;
  const pidsDir = root.find((d) => d.includes('/pids/')) ?? root[0];
  // The kernel counts a refused fork where it was asked (the worker's cgroup) or where the limit is (the pool's).
  const refused = (): number => [join(pidsDir, 'bomb'), join(pidsDir, 'bomb', w.id)].reduce((n, d) => {
    try {
      return n + Number(/^max (\d+)/m.exec(readFileSync(join(d, 'pids.events'), 'utf8'))?.[1] ?? 0);
    } catch {
      return n;
    }
  }, 0);
  await waitFor(() => refused() > 0, 10_000, 'the pool\'s pids.max refused a fork');
  const current = Number(readFileSync(join(pidsDir, 'bomb', 'pids.current'), 'utf8'));
  assert.ok(current <= 48, `pids.current ${current} within limits.tasks`);
  for (let i = 0; i < 20; i++) assert.equal((await get(`${h.url}/calm/`)).status, 200, 'the other pool serves');
  await h.host.supervisor.stopPool('bomb');
  await waitFor(() => w.cgroup === null || w.cgroup.node.pids().length === 0, 10_000, 'the bomb\'s processes gone with its pool');
});

test('a worker past limits.memory is ended by the OOM killer and its crash says so in words', { skip: cgroupSkip }, async () => {
  assert.equal((await get(`${h.url}/oom/`)).status, 200);
  void get(`${h.url}/oom/alloc?mb=400`).catch(() => null);
  const e = await h.waitForEvent(EventIds.WorkerCrashed, 'oom', 20_000);
  assert.match(e.message, /killed by the kernel's OOM killer at the pool's 96 MB limit; peak \d+(\.\d)? MB/);
  const oom = e.details.oom as { kills: number; limitBytes: number; peakBytes: number };
  assert.equal(oom.limitBytes, 96 * 1024 * 1024);
  assert.ok(oom.kills >= 1);
  const report = await h.waitForEvent(EventIds.CrashReport, 'oom', 20_000);
  const crash = h.host.supervisor.crash(String(report.details.report));
  assert.equal(crash.error?.type, 'OOM kill');
  assert.match(String(crash.error?.message), /OOM killer at the pool's 96 MB limit/);
});

test('an OOM kill of a worker\'s child at limits.memory is said (7103), and the worker serves on', { skip: cgroupSkip }, async () => {
  const first = await get(`${h.url}/oomchild/`);
  assert.equal(first.status, 200);
  const e = await h.waitForEvent(EventIds.ChildOomKilled, 'oomchild', 20_000);
  assert.match(e.message, /OOM killer ended a process of worker oomchild-\d+'s tree at the pool's 96 MB limit; peak \d+(\.\d)? MB\. The worker process itself/);
  assert.match(e.message, /runs on/);
  assert.equal(e.details.limitBytes, 96 * 1024 * 1024);
  const [w] = h.host.supervisor.poolMap.get('oomchild')!.workers;
  assert.equal(e.worker, w.id);
  assert.ok(running(w.pid!), 'the worker process lives');
  assert.equal(h.events(EventIds.WorkerCrashed, 'oomchild').length, 0, 'no crash: the worker did not die');
  const again = JSON.parse((await get(`${h.url}/oomchild/`)).body) as { pid: number };
  assert.equal(again.pid, w.pid);
});

test('Throttle holds a busy loop at its limit with the kernel\'s quota (25% of one CPU), measured from the cgroup', { skip: cgroupSkip }, async () => {
  assert.equal((await get(`${h.url}/throttle/`)).status, 200);
  const [w] = h.host.supervisor.poolMap.get('throttle')!.workers;
  await waitFor(() => h.host.supervisor.poolMap.get('throttle') && w.cgroup !== null, 2_000, 'a cgroup');
  const busy = get(`${h.url}/throttle/busy?ms=4000`, { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  const c0 = w.cpuSeconds()!;
  await new Promise((r) => setTimeout(r, 3000));
  const share = (w.cpuSeconds()! - c0) / ((performance.now() - t0) / 1000);
  await busy;
  // The kernel caps at 25%; a loaded machine may give less, never much more (20–30% when idle).
  assert.ok(share <= 0.32, `CPU share ${share.toFixed(3)} held at 25% of one CPU`);
  assert.ok(share >= 0.1, `CPU share ${share.toFixed(3)}: the loop ran`);
});

test('a gunicorn -w 2 like parent is recycled by privateMemory counting the parent and both children', { skip: cgroupSkip }, async () => {
  const tree = await treeOf(`${h.url}/garden/tree`);
  assert.equal(tree.children.length, 2);
  const e = await h.waitForEvent(EventIds.RecyclePrivateMemory, 'garden', 20_000);
  assert.equal(e.pid, tree.pid);
  await waitFor(() => tree.children.every((c) => !running(c)) && !running(tree.pid), 10_000, 'the old parent and children gone');
});

test('Suspend freezes the worker\'s whole cgroup, its daemon too, and a request thaws them together', { skip: cgroupSkip }, async () => {
  const tree = await treeOf(`${h.url}/frozen/tree`);
  assert.ok(tree.daemon !== null);
  await h.waitForEvent(EventIds.IdleShutdown, 'frozen', 5_000);
  await waitFor(() => isFrozen(tree.pid) && isFrozen(tree.daemon!), 3_000, 'worker and daemon frozen');
  const again = await treeOf(`${h.url}/frozen/tree`);
  assert.equal(again.pid, tree.pid);
  assert.ok(!isFrozen(tree.daemon), 'the daemon thawed with the worker');
});
