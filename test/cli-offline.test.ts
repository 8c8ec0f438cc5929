/**
 * `events`, `crashes`, `crash` and `logs` answer with the host stopped, read from its dataDir (and
 * say so on stderr); `logs` without a pool interleaves every pool, tagged; `--json` is one object
 * per line. Also `logs` of every pool against the running host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EventLog, type PaddockEvent } from '../src/events/event-log.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { fixtures, get, helloPool, startTestHost, waitFor } from './helpers/test-host.ts';
import { cliMain, watch } from './helpers/processes.ts';

function paddock(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliMain, ...args], { env: { ...process.env, PADDOCK_CONFIG: undefined } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('with the host stopped, events, crashes, crash and logs read the dataDir; logs interleaves every pool', async (t) => {
  const h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/api', pool: 'api' }] }],
    pools: { web: helloPool(), api: { command: ['node', join(fixtures, 'echo-request.mjs')] } },
  });
  t.after(() => rmSync(h.dir, { recursive: true, force: true }));
  const config = ['--config', h.configFile];
  await get(`${h.url}/api/first`);
  await get(`${h.url}/throw`).catch(() => null);
  await h.waitForEvent(EventIds.CrashReport, 'web');
  await get(`${h.url}/api/second`);
  await waitFor(() => h.events(EventIds.WorkerStarted, 'web').length >= 2, 10_000, 'the web pool to replace its crashed worker');

  // Against the running host first: every pool's log, interleaved by time and tagged.
  const live = await waitFor(async () => {
    const r = await paddock(['logs', ...config]);
    return r.stdout.includes('GET /api/second') && r.stdout.includes('exploded on purpose') ? r : null;
  }, 10_000, 'both pools in the logs');
  assert.equal(live.stderr, '');
  const liveLines = live.stdout.trim().split('\n');
  assert.ok(liveLines.every((l) => /^(web|api) \| \d{4}-/.test(l)), live.stdout);
  const order = liveLines.map((l) => (l.includes('/api/first') ? 1 : l.includes('exploded on purpose') ? 2 : l.includes('/api/second') ? 3 : 0)).filter((n) => n > 0);
  assert.deepEqual([...new Set(order)], [1, 2, 3], 'the pools\' lines in time order');

  await h.host.stop();
  const offline = /^paddock: no host is running \(no host is listening on .*admin\.sock\); reading .* directly\n$/;

  // Each command is a process of its own: they run side by side.
  const [events, crashesOnly, buckets, missing, web, all, unknown] = await Promise.all([
    paddock(['events', '--json', ...config]),
    paddock(['events', '--id', '5009', '--pool', 'web', ...config]),
    paddock(['crashes', '--json', ...config]),
    paddock(['crash', 'no-such-bucket', ...config]),
    paddock(['logs', 'web', '--lines', '3', ...config]),
    paddock(['logs', '--json', ...config]),
    paddock(['logs', 'nope', ...config]),
  ]);
  assert.equal(events.code, 0, events.stderr);
  assert.match(events.stderr, offline);
  const ids = (JSON.parse(events.stdout) as PaddockEvent[]).map((e) => e.id);
  for (const id of [EventIds.HostStarted, EventIds.WorkerCrashed, EventIds.CrashReport, EventIds.HostStopping]) assert.ok(ids.includes(id), `event ${id} in ${ids.join(',')}`);
  assert.match(crashesOnly.stdout, /5009 +error +web/);
  assert.doesNotMatch(crashesOnly.stdout, /6001/);

  assert.equal(buckets.code, 0, buckets.stderr);
  const [bucket] = JSON.parse(buckets.stdout) as Array<{ bucket: string; kind: string; pools: string[] }>;
  assert.equal(bucket.kind, 'crash');
  assert.deepEqual(bucket.pools, ['web']);
  const [report, bySocket] = await Promise.all([paddock(['crash', bucket.bucket, ...config]), paddock(['crashes', '--admin', join(h.dir, 'admin.sock')])]);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /explodeOnPurpose/);
  assert.match(report.stderr, offline);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no crash report or bucket 'no-such-bucket'/);

  assert.equal(web.code, 0, web.stderr);
  assert.equal(web.stdout.trim().split('\n').length, 3);
  assert.match(web.stdout, /^\d{4}-\S+ web-\d+ (stdout|stderr) /m);
  const objects = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as { pool: string; time: string; worker: string; stream: string; text: string });
  assert.deepEqual([...new Set(objects.map((o) => o.pool))].sort(), ['api', 'web']);
  assert.ok(objects.some((o) => o.pool === 'api' && o.stream === 'stdout' && o.text === 'GET /api/second' && /^api-\d+$/.test(o.worker)), all.stdout);
  assert.deepEqual(objects.map((o) => o.time), objects.map((o) => o.time).sort(), 'in time order');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no log of pool 'nope'/);

  // The admin socket's folder is the dataDir: --admin alone finds it too.
  assert.equal(bySocket.code, 0, bySocket.stderr);
  assert.match(bySocket.stdout, new RegExp(bucket.bucket));

  // --follow keeps reading the files: what a host writes later shows up.
  const events2 = watch(process.execPath, [cliMain, 'events', '--follow', '--json', ...config]);
  const logs2 = watch(process.execPath, [cliMain, 'logs', 'api', '--lines', '0', '--follow', ...config]);
  t.after(() => { events2.child.kill(); logs2.child.kill(); });
  await waitFor(() => /reading .* directly/.test(events2.err()) && /reading .* directly/.test(logs2.err()), 10_000, 'both followers to start');
  // A follower says it started before it has opened the file: what is written in between is
  // backlog (not printed with --lines 0), so a later line is written again until one is seen.
  // Every line seen was read past the point where the follower opened the file.
  let n = 0;
  let last = 0;
  await waitFor(() => {
    if (events2.out().includes('a later host') && logs2.out().includes('stdout a later line')) return true;
    if (Date.now() - last < 300) return false;
    last = Date.now();
    n++;
    const log = EventLog.open(h.dir, { stdout: null });
    log.write({ id: EventIds.HostStarted, message: `a later host ${n}` });
    log.close();
    appendFileSync(join(h.dir, 'logs', 'api.log'), `${new Date().toISOString()} api-9 stdout a later line ${n}\n`);
    return false;
  }, 10_000, 'a new event in events --follow and a new line in logs --follow');
  assert.ok(!logs2.out().includes('GET /api/second'), 'no backlog with --lines 0');
});

test('no dataDir to read: still exit 3, no host', async () => {
  const r = await paddock(['events', '--admin', '/nonexistent/admin.sock']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /no host is listening on \/nonexistent\/admin\.sock/);
});
