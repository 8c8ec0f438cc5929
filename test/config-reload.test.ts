/**
 * Live configuration (DESIGN §3): a reload applies only the difference. New pools start, removed
 * ones drain and their routes go, changed ones recycle (5080) unless
 * disallowRotationOnConfigChange, untouched ones keep their workers. A bad file changes nothing.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestHost, get, helloPool, load, waitFor, alive, repoRoot, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import type { WorkerSnapshot } from '../src/admin/host-control.ts';

/**
 * Pools on `/<pool>`; the pools in `probe` also on `<pool>.test`, where the worker sees the whole
 * path (to reach the fixture's /env).
 */
function hostConfig(pools: Record<string, Record<string, unknown>>, probe: readonly string[] = []): Record<string, unknown> {
  return {
    sites: [
      { name: 'main', hosts: ['*'], apps: Object.keys(pools).map((p) => ({ path: `/${p}`, pool: p })) },
      ...probe.map((p) => ({ name: p, hosts: [`${p}.test`], apps: [{ path: '/', pool: p }] })),
    ],
    pools,
  };
}

const initial: Record<string, Record<string, unknown>> = {
  keep: helloPool(),
  change: helloPool({ env: { RELEASE_1: 'yes' } }),
  'change-n': helloPool({ env: { RELEASE_1: 'yes' }, recycling: { disallowOverlappingRotation: true } }),
  sticky: helloPool({ env: { RELEASE_1: 'yes' }, recycling: { disallowRotationOnConfigChange: true } }),
  gone: helloPool(),
};
const probes = ['change', 'sticky'];

let h: TestHost;
before(async () => {
  h = await startTestHost(hostConfig(initial, probes));
});
after(() => h?.stop());

/** The single ready worker of `pool`, after a request made sure there is one. */
async function only(pool: string): Promise<WorkerSnapshot> {
  assert.equal((await get(`${h.url}/${pool}`)).status, 200);
  const ws = h.host.supervisor.workers(pool);
  assert.equal(ws.length, 1, `${pool}: one worker`);
  return ws[0];
}

/** The environment variable names `pool`'s worker sees. */
async function envNames(pool: string): Promise<string[]> {
  const r = await get(`${h.url}/env`, { headers: { host: `${pool}.test` } });
  assert.equal(r.status, 200);
  return JSON.parse(r.body) as string[];
}

/** Waits until `pool` is served by one ready worker other than `old`. */
function replaced(pool: string, old: WorkerSnapshot): Promise<WorkerSnapshot> {
  return waitFor(() => {
    const ws = h.host.supervisor.workers(pool);
    return ws.length === 1 && ws[0].state === 'ready' && ws[0].pid !== old.pid ? ws[0] : null;
  }, 15_000, `${pool} replaced`);
}

test('a reload that adds, removes and changes pools touches only what changed; no request fails', async () => {
  const before = Object.fromEntries(await Promise.all(Object.keys(initial).map(async (p) => [p, await only(p)] as const)));
  assert.ok((await envNames('change')).includes('RELEASE_1'));
  const loads = [load(`${h.url}/change`, 3), load(`${h.url}/change-n`, 3), load(`${h.url}/keep`, 2)];
  await new Promise((r) => setTimeout(r, 200));

  const next = {
    keep: initial.keep,
    change: helloPool({ env: { RELEASE_2: 'yes' } }),
    'change-n': helloPool({ env: { RELEASE_2: 'yes' }, recycling: { disallowOverlappingRotation: true } }),
    sticky: helloPool({ env: { RELEASE_2: 'yes' }, recycling: { disallowRotationOnConfigChange: true } }),
    fresh: helloPool(),
  };
  h.writeConfig(hostConfig(next, probes));
  const r = await h.host.supervisor.reload();
  assert.ok(r.ok);
  assert.deepEqual({ added: r.added, removed: r.removed, changed: r.changed }, { added: ['fresh'], removed: ['gone'], changed: ['change', 'change-n', 'sticky'] });
  assert.deepEqual(r.waitsForRestart, []);
  assert.ok(r.applied.includes('pools.fresh (added)') && r.applied.includes('pools.gone (removed)'), r.applied.join(', '));
  const reloaded = await h.waitForEvent(EventIds.ConfigReloaded);
  assert.deepEqual(reloaded.details.changed, ['change', 'change-n', 'sticky']);
  assert.equal(h.events(EventIds.PoolAddedByConfig, 'fresh').length, 1);
  assert.equal(h.events(EventIds.PoolRemovedByConfig, 'gone').length, 1);

  // Changed pools recycle (5080), overlapping and not, without failing a request.
  for (const pool of ['change', 'change-n']) {
    const e = await h.waitForEvent(EventIds.RecycleConfigChange, pool);
    assert.equal(e.worker, before[pool].id);
    assert.equal(e.details.trigger, 'ConfigChange');
    await replaced(pool, before[pool]);
  }
  await new Promise((r) => setTimeout(r, 150));
  for (const result of await Promise.all(loads.map((l) => l.stop()))) {
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join('; ')}`);
    assert.ok(result.ok > 0);
  }
  const names = await envNames('change');
  assert.ok(names.includes('RELEASE_2') && !names.includes('RELEASE_1'), 'the new worker runs the new configuration');

  // Untouched: the same worker, no recycle event.
  const keep = await only('keep');
  assert.equal(keep.id, before.keep.id);
  assert.equal(keep.pid, before.keep.pid);
  assert.equal(h.events(EventIds.RecycleConfigChange, 'keep').length, 0);

  // disallowRotationOnConfigChange: the same worker, still on the old environment.
  const sticky = await only('sticky');
  assert.equal(sticky.pid, before.sticky.pid);
  assert.equal(h.events(EventIds.RecycleConfigChange, 'sticky').length, 0);
  assert.ok((await envNames('sticky')).includes('RELEASE_1'));

  // Removed: its route is gone (404 from the host) and its worker drained away.
  assert.equal((await get(`${h.url}/gone`)).status, 404);
  await waitFor(() => !alive(before.gone.pid!), 10_000, 'the removed pool\'s worker exited');
  assert.throws(() => h.host.supervisor.pool('gone'), /not found/);

  // Added: serves at once.
  const fresh = await get(`${h.url}/fresh`);
  assert.equal(fresh.status, 200);
  assert.match(fresh.body, /^hello from fresh-/);

  // The sticky pool's next worker, whatever starts it, runs the new configuration.
  await h.host.supervisor.recyclePool('sticky');
  await replaced('sticky', before.sticky);
  const stickyNames = await envNames('sticky');
  assert.ok(stickyNames.includes('RELEASE_2') && !stickyNames.includes('RELEASE_1'));
});

/** POST /api/reload on the admin socket: what `paddock reload` does. */
function adminReload(): Promise<{ status: number; body: { ok: boolean; errors?: string[] } }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(h.dir, 'admin.sock'), path: '/api/reload', method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a bad reload changes nothing: the errors, with their line, go back to the caller and to the event log (7004)', async () => {
  const running = h.host.supervisor.config;
  const pools = h.host.supervisor.pools().map((p) => p.name).sort();
  const pids = h.host.supervisor.workers().map((w) => w.pid).sort();
  const refusedBefore = h.events(EventIds.ConfigReloadRefused).length;
  const good = readFileSync(h.configFile, 'utf8');

  // Not YAML at all: an unclosed flow sequence.
  writeFileSync(h.configFile, good + 'extra: [unclosed\n');
  const broken = await h.host.supervisor.reload();
  assert.equal(broken.ok, false);
  assert.ok(!broken.ok && broken.errors.length > 0);
  assert.ok(!broken.ok && broken.errors.every((e) => e.startsWith(`${h.configFile}:`)), `errors name the file and line: ${!broken.ok && broken.errors.join('\n')}`);
  assert.ok(!broken.ok && broken.errors.some((e) => /:\d+:\d+: /.test(e)), 'a line and column');

  // Valid YAML, but a misspelt IIS key: refused whole, with the key path and its line.
  const lines = stringify({ ...hostConfig({ keep: helloPool({ processModel: { idleTimeOut: '1m' } }) }), dataDir: h.dir, listen: ['127.0.0.1:0'], admin: { socket: join(h.dir, 'admin.sock') } }).split('\n');
  const line = lines.findIndex((l) => l.includes('idleTimeOut')) + 1;
  writeFileSync(h.configFile, lines.join('\n'));
  const typo = await adminReload();
  assert.equal(typo.status, 400);
  assert.equal(typo.body.ok, false);
  const message = typo.body.errors!.find((e) => e.includes('idleTimeOut'));
  assert.ok(message, `an error about the key: ${typo.body.errors!.join('\n')}`);
  assert.ok(message.startsWith(`${h.configFile}:${line}:`), `line ${line}: ${message}`);
  assert.match(message, /pools\.keep\.processModel\.idleTimeOut/);
  assert.match(message, /idleTimeout/, 'suggests the right name');

  // Both refusals are in the event log; nothing changed.
  const refused = h.events(EventIds.ConfigReloadRefused);
  assert.equal(refused.length, refusedBefore + 2);
  assert.ok((refused.at(-1)!.details.errors as string[]).includes(message));
  assert.equal(h.host.supervisor.config, running, 'the running configuration stays');
  assert.deepEqual(h.host.supervisor.pools().map((p) => p.name).sort(), pools, 'no pool added or removed');
  assert.deepEqual(h.host.supervisor.workers().map((w) => w.pid).sort(), pids, 'no worker touched');
  assert.equal((await get(`${h.url}/keep`)).status, 200);
  assert.equal((await get(`${h.url}/fresh`)).status, 200);
  writeFileSync(h.configFile, good);
});

test('SIGHUP to `paddock run` reloads the file: a new pool serves, a bad file is refused and the host keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-'));
  const file = join(dir, 'paddock.yaml');
  const write = (config: Record<string, unknown>): void =>
    writeFileSync(file, stringify({ dataDir: dir, listen: ['127.0.0.1:0'], admin: { socket: join(dir, 'admin.sock') }, ...config }));
  write(hostConfig({ a: helloPool() }));
  const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  try {
    const port = await waitFor(() => /listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1], 15_000, 'host started');
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await get(`${url}/a`)).status, 200);
    assert.equal((await get(`${url}/b`)).status, 404);

    write(hostConfig({ a: helloPool(), b: helloPool() }));
    child.kill('SIGHUP');
    await waitFor(() => out.includes('"event":7003'), 10_000, 'reloaded (7003)');
    assert.equal((await get(`${url}/b`)).status, 200);

    writeFileSync(file, 'pools: [unclosed\n');
    child.kill('SIGHUP');
    // The event goes to stdout and the sentence to stderr: two pipes, in either order.
    await waitFor(() => out.includes('"event":7004') && /reload refused/.test(out), 10_000, 'refused (7004, and said on stderr)');
    assert.ok(out.includes(`${file}:`), 'the refusal names the file');
    assert.equal((await get(`${url}/a`)).status, 200);
    assert.equal((await get(`${url}/b`)).status, 200);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
