/**
 * The CLI against a real host (DESIGN §7): every command an operator or a script uses, through the
 * admin socket, with the --json shapes scripts rely on.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startTestHost, get, helloPool, repoRoot, waitFor, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: helloPool({ failure: { rapidFailProtectionMaxCrashes: 100 } }) },
  });
});
after(() => h?.stop());

/** Runs `paddock ARGS --admin <socket>`; resolves with exit code and output. */
function paddock(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args, '--admin', join(h.dir, 'admin.sock')], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('workers --json gives the documented shape for the running workers', async () => {
  assert.equal((await get(`${h.url}/`)).status, 200);
  const r = await paddock('workers', '--json');
  assert.equal(r.code, 0, r.stderr);
  const workers = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  assert.equal(workers.length, 1);
  assert.deepEqual(Object.keys(workers[0]).sort(), ['cpuSeconds', 'health', 'id', 'inFlight', 'pid', 'pool', 'requests', 'rssBytes', 'startedAt', 'state'].sort());
  assert.equal(workers[0].pool, 'web');
  assert.equal(workers[0].state, 'ready');
  assert.equal(typeof workers[0].pid, 'number');
});

test('stop, start and recycle change the pool, and events --json lists what happened', async () => {
  assert.equal((await paddock('stop', 'web')).code, 0);
  assert.equal((await get(`${h.url}/`)).status, 503);
  assert.equal((await paddock('start', 'web')).code, 0);
  assert.equal((await get(`${h.url}/`)).status, 200);
  assert.equal((await paddock('recycle', 'web')).code, 0);
  await h.waitForEvent(EventIds.RecycleAdmin, 'web');
  const r = await paddock('events', '--pool', 'web', '--since', '10m', '--json');
  const events = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  const ids = events.map((e) => e.id);
  for (const id of [EventIds.PoolStoppedByAdmin, EventIds.PoolStartedByAdmin, EventIds.RecycleAdmin, EventIds.WorkerStarted]) assert.ok(ids.includes(id), `event ${id} listed`);
  for (const key of ['id', 'time', 'level', 'pool', 'worker', 'pid', 'message', 'details']) assert.ok(key in events[0], `events carry ${key}`);
  const only = JSON.parse((await paddock('events', '--id', String(EventIds.PoolStoppedByAdmin), '--json')).stdout) as Array<{ id: number }>;
  assert.ok(only.length >= 1 && only.every((e) => e.id === EventIds.PoolStoppedByAdmin));
  const table = await paddock('events', '--pool', 'web', '--since', '10m');
  assert.match(table.stdout, /5059/, 'the readable table shows the ids');
});

test('a crash is one command away: crashes lists its bucket, crash shows the whole report', async () => {
  await get(`${h.url}/throw`).catch(() => null);
  await h.waitForEvent(EventIds.CrashReport, 'web');
  const buckets = JSON.parse((await paddock('crashes', '--pool', 'web', '--json')).stdout) as Array<Record<string, unknown>>;
  assert.ok(buckets.length >= 1);
  for (const key of ['bucket', 'kind', 'signature', 'count', 'firstSeen', 'lastSeen', 'pools', 'top']) assert.ok(key in buckets[0], `buckets carry ${key}`);
  assert.equal(buckets[0].kind, 'crash');
  assert.ok((buckets[0].top as string[]).some((f) => f.includes('explodeOnPurpose')), JSON.stringify(buckets[0].top));
  const report = await paddock('crash', String(buckets[0].bucket), '--json');
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /explodeOnPurpose/);
});

test('logs prints the pool\'s worker output, tagged with the worker', async () => {
  const lines = await waitFor(async () => {
    const r = await paddock('logs', 'web', '--lines', '50');
    return /web-\d+ (stdout|stderr) /.test(r.stdout) ? r.stdout : null;
  }, 10_000, 'output lines');
  assert.match(lines, /web-\d+ stderr .*exploded on purpose/);
});

test('an unknown pool is exit 1 with a message; no host is exit 3', async () => {
  const r = await paddock('stop', 'nope');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nope/);
  const none = await new Promise<number>((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'pools', '--admin', join(h.dir, 'absent.sock')], (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0));
  });
  assert.equal(none, 3);
});

test('logs --follow and events --follow stream what happens next', async () => {
  const sock = join(h.dir, 'admin.sock');
  const { spawn } = await import('node:child_process');
  const follow = (args: string[]): { out: () => string; stop: () => void } => {
    const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args, '--admin', sock], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    return { out: () => out, stop: () => child.kill() };
  };
  const logs = follow(['logs', 'web', '--lines', '0', '--follow']);
  const events = follow(['events', '--pool', 'web', '--follow', '--json']);
  try {
    // A follower attaches a moment after it starts, and shows only what comes after: the worker is
    // asked again (a crash for the event, a line for the log) until each follower has shown one.
    const crashed = (): boolean => events.out().split('\n').some((l) => l.includes('"id":5009'));
    let last = 0;
    await waitFor(async () => {
      if (/exploded on purpose/.test(logs.out()) && crashed()) return true;
      if (Date.now() - last < 500) return false;
      last = Date.now();
      await get(`${h.url}/throw`).catch(() => null);
      return false;
    }, 15_000, 'the new stderr line in logs --follow and the crash event in events --follow');
  } finally {
    logs.stop();
    events.stop();
  }
});

test('status and /metrics describe the running host', async () => {
  assert.equal((await get(`${h.url}/`)).status, 200, 'a worker is running');
  const status = await paddock('status', '--json');
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { health: { status: string }; pools: Array<{ name: string }> };
  assert.equal(s.health.status, 'ok');
  assert.deepEqual(s.pools.map((p) => p.name), ['web']);
  const { request } = await import('node:http');
  const text = await new Promise<string>((resolve, reject) => {
    request({ socketPath: join(h.dir, 'admin.sock'), path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject).end();
  });
  assert.match(text, /paddock_pool_requests_total\{pool="web"\} \d+/);
  assert.match(text, /paddock_workers\{pool="web",state="ready",health="healthy"\} 1/);
  assert.match(text, /paddock_host_resident_bytes \d+/);
});
