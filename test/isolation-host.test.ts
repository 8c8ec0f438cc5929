/**
 * A worker's tree never outlives its host: on a host stop (which exits within its limit, even with
 * a daemon holding the worker's stdout), and after a host SIGKILL, when the next host starts and
 * ends what its predecessor's cgroups still hold (7102) before it starts any worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { get, waitFor, fixtures } from './helpers/test-host.ts';
import { writeConfigDir } from './helpers/processes.ts';
import { startHostProcess } from './helpers/host-process.ts';
import { cgroupSkip } from './helpers/cgroups.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { isRunning } from '../src/supervisor/proc-stats.ts';

/** A live process: not gone and not a zombie. */
const running = isRunning;

const config = {
  sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'daemon' }] }],
  pools: { daemon: { command: ['node', join(fixtures, 'tree-worker.mjs')], env: { TREE_DAEMON: '1' }, processModel: { shutdownTimeLimit: '3s' } } },
};

async function daemonOf(url: string): Promise<{ pid: number; daemon: number }> {
  return waitFor(async () => {
    const r = await get(`${url}/tree`);
    const t = JSON.parse(r.body) as { pid: number; daemon: number | null };
    return t.daemon !== null ? { pid: t.pid, daemon: t.daemon } : null;
  }, 15_000, 'the worker and its daemon');
}

test('a host stop ends the worker\'s daemonised grandchild and exits within its limit, though the daemon holds the worker\'s stdout', { skip: cgroupSkip }, async () => {
  const { dir, file } = writeConfigDir(config);
  try {
    const host = await startHostProcess(file);
    const tree = await daemonOf(host.url);
    assert.ok(running(tree.daemon));
    const t0 = Date.now();
    const code = await host.stop(20_000);
    const took = Date.now() - t0;
    assert.equal(code, 0, host.w.err());
    // shutdownTimeLimit is 3 s; SIGKILL would come at 20 s.
    assert.ok(took < 15_000, `the host took ${took} ms to exit`);
    await waitFor(() => !running(tree.daemon), 5_000, 'the daemon gone with the host');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('after a host SIGKILL the next host ends what its predecessor\'s cgroups hold (7102) before it starts a worker', { skip: cgroupSkip }, async () => {
  const { dir, file } = writeConfigDir(config);
  try {
    const first = await startHostProcess(file);
    const tree = await daemonOf(first.url);
    first.w.child.kill('SIGKILL');
    await first.w.exited;
    await waitFor(() => !running(tree.pid), 5_000, 'the worker gone with its host (pdeathsig)');
    // Nothing ties the setsid daemon to the dead host but its cgroup.
    assert.ok(running(tree.daemon), 'the daemon survived the host\'s SIGKILL');

    const second = await startHostProcess(file);
    try {
      const reaped = await second.waitEvent(EventIds.LeftoverCgroupsReaped, 'event 7102');
      const details = reaped.details as { processes: number; cgroups: number };
      assert.ok(details.processes >= 1, JSON.stringify(details));
      assert.ok(details.cgroups >= 3, 'owner, pool and worker cgroups');
      assert.ok(!running(tree.daemon), 'the daemon was ended');
      const order = second.events().map((e) => e.event);
      const firstStart = order.indexOf(EventIds.WorkerStarted);
      assert.ok(firstStart === -1 || order.indexOf(EventIds.LeftoverCgroupsReaped) < firstStart, 'reaped before any worker started');
      assert.equal((await get(`${second.url}/`)).status, 200);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
