/**
 * A reload says everything: lowering maxProcesses drains the workers past it while their requests
 * in hand finish, and `paddock reload` lists what it applied and what waits for a restart. The
 * other pool serves every request meanwhile.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventIds } from '../src/events/event-ids.ts';
import { cliMain, watch } from './helpers/processes.ts';
import { get, helloPool, load, startTestHost, waitFor, type TestHost } from './helpers/test-host.ts';

let h: TestHost;
after(() => h?.stop());

function config(maxProcesses: number, maxBytes: string, connectionTimeout: string): Record<string, unknown> {
  return {
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/garden', pool: 'garden' }, { path: '/other', pool: 'other' }] }],
    pools: {
      // Only the shrink is at work: the reload does not recycle the garden's workers.
      garden: helloPool({ startMode: 'AlwaysRunning', processModel: { maxProcesses }, recycling: { disallowRotationOnConfigChange: true } }),
      other: helloPool(),
    },
    logs: { maxBytes },
    webLimits: { connectionTimeout },
  };
}

test('a reload that lowers maxProcesses drains the workers past it, their requests finish, and the answer lists what waits for a restart', async () => {
  h = await startTestHost(config(3, '10MB', '2m'));
  await waitFor(() => h.host.supervisor.workers('garden').filter((w) => w.state === 'ready').length === 3 || null, 20_000, 'three garden workers ready');
  const other = load(`${h.url}/other`, 2);
  // One slow request on each worker (least outstanding requests spreads them).
  const slow = Array.from({ length: 3 }, () => get(`${h.url}/garden/slow?ms=2500`));
  await waitFor(() => h.host.supervisor.workers('garden').every((w) => w.inFlight === 1) || null, 10_000, 'a request in hand on every worker');
  const pids = h.host.supervisor.workers('garden').map((w) => w.pid);

  h.writeConfig(config(1, '20MB', '90s'));
  const cli = watch(process.execPath, [cliMain, 'reload', '--config', h.configFile]);
  assert.equal(await cli.exited, 0, cli.err());
  assert.match(cli.out(), /^applied: pools\.garden\.processModel\.maxProcesses, webLimits\.connectionTimeout$/m);
  assert.match(cli.out(), /^waits for a restart: logs\.maxBytes$/m);

  const shrunk = await h.waitForEvent(EventIds.WebGardenShrunk, 'garden');
  assert.equal(shrunk.details.maxProcesses, 1);
  assert.equal(shrunk.details.was, 3);
  assert.equal((shrunk.details.workers as string[]).length, 2);
  // Draining is overlapping: every request in hand is answered.
  for (const r of await Promise.all(slow)) assert.equal(r.status, 200, r.body);
  await waitFor(() => {
    const live = h.host.supervisor.workers('garden');
    return live.length === 1 && live[0].state === 'ready' ? live : null;
  }, 15_000, 'one garden worker left');
  const left = h.host.supervisor.workers('garden')[0];
  assert.ok(pids.includes(left.pid), 'a worker of before stays: nothing was recycled');
  assert.equal(h.events(EventIds.WorkerStopped, 'garden').length, 2, 'the two drained workers stopped normally');
  assert.equal(h.events(EventIds.WorkerCrashed, 'garden').length, 0);
  // AlwaysRunning keeps the new maxProcesses, no more.
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(h.host.supervisor.workers('garden').length, 1);
  assert.equal((await get(`${h.url}/garden`)).status, 200);

  const reloaded = h.events(EventIds.ConfigReloaded).at(-1)!;
  assert.deepEqual(reloaded.details.waitsForRestart, ['logs.maxBytes']);
  assert.equal(h.host.supervisor.config.logs.maxBytes, 10 * 1024 * 1024, 'the running log files keep their limit until a restart');
  assert.equal(h.host.supervisor.config.webLimits.connectionTimeout, 90_000, 'the front door\'s timers changed at once');

  const result = await other.stop();
  assert.equal(result.failed, 0, `the other pool failed requests: ${result.failures.join('; ')}`);
  assert.ok(result.ok > 0);
});
