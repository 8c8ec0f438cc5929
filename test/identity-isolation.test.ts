/**
 * Isolation enforced (docs/identity.md): under root each pool runs as an ApplicationPoolIdentity
 * that cannot reach the host's admin socket, event log or logs; the admin surface keeps its token
 * and cookie from workers and from other sites.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { stringify } from 'yaml';
import { startHostProcess } from './helpers/host-process.ts';
import { startTestHost, get, fixtures, helloPool, oneSite, repoRoot, waitFor, type TestHost } from './helpers/test-host.ts';
import { phpPool, phpSkip } from './helpers/php-cgi.ts';
import { parseConfig } from '../src/config/index.ts';
import { startHost, type RunningHost } from '../src/host/host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { DYNAMIC_UID_MAX, DYNAMIC_UID_MIN } from '../src/supervisor/dynamic-uid.ts';
import type { CrashReport } from '../src/diagnostics/report-types.ts';

const root = process.getuid?.() === 0;
const needsRoot = !root && 'switching users needs root';
const hosts: TestHost[] = [];
const dirs: string[] = [];
after(async () => {
  for (const h of hosts) await h.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Hostile {
  uid: number;
  gid: number;
  groups: string | null;
  noNewPrivs: string | null;
  adminSocket: string;
  eventsDb: string;
  adminToken: string;
  dataDirListing: string;
  logs: string;
}

function hostilePool(dataDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return helloPool({ command: ['node', join(fixtures, 'hostile.mjs')], env: { HOSTILE_DATA_DIR: dataDir }, ...extra });
}

async function ask(url: string): Promise<Hostile> {
  const r = await get(url);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Hostile;
}

/** A host on a dataDir of the test's choosing, so that it can be started again on the same one. */
async function hostIn(dir: string, config: Record<string, unknown>): Promise<RunningHost> {
  const file = join(dir, 'paddock.yaml');
  const text = stringify({ dataDir: dir, listen: ['127.0.0.1:0'], ...config });
  writeFileSync(file, text);
  const parsed = parseConfig(text, file);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return startHost(parsed.config, { quiet: true });
}

function unixGet(socket: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function paddock(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-iso-'));
  dirs.push(dir);
  return dir;
}

const running: RunningHost[] = [];
after(async () => {
  for (const h of running) await h.stop();
});

function urlOf(h: RunningHost): string {
  return `http://127.0.0.1:${h.bound[0].port}`;
}

test('a hostile worker under ApplicationPoolIdentity cannot connect to the admin socket nor read events.db; one of the host identity can (7110)', { skip: needsRoot }, async () => {
  const dir = newDir();
  const h = await hostIn(dir, {
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'hostile' }, { path: '/host', pool: 'same' }] }],
    pools: { hostile: hostilePool(dir), same: hostilePool(dir, { processModel: { identityType: 'HostIdentity', startupTimeLimit: '10s' } }) },
  });
  running.push(h);
  const got = await ask(`${urlOf(h)}/`);
  assert.ok(got.uid >= DYNAMIC_UID_MIN && got.uid <= DYNAMIC_UID_MAX, `uid ${got.uid} is in the ApplicationPoolIdentity range`);
  assert.equal(got.gid, got.uid);
  assert.equal(got.groups, '', 'no supplementary groups');
  assert.equal(got.noNewPrivs, '1');
  assert.equal(got.adminSocket, 'EACCES');
  assert.equal(got.eventsDb, 'EACCES');
  assert.equal(got.dataDirListing, 'EACCES');
  assert.equal(got.logs, 'EACCES');
  assert.equal(statSync(join(dir, 'events.db')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o711);

  // The same worker as the host's own identity reaches all of it: the test can tell the two apart.
  const same = await ask(`${urlOf(h)}/host/`);
  assert.equal(same.uid, 0);
  assert.equal(same.adminSocket, 'ok');
  assert.equal(same.eventsDb, 'ok');
  const warned = h.supervisor.events.query({ id: EventIds.HostIdentityWorkers, limit: 10 });
  assert.equal(warned.length, 1);
  assert.equal(warned[0].level, 'warning');
  assert.deepEqual(warned[0].details.pools, ['same']);
});

test('two pools get different stable uids, and the same uids again after a host restart', { skip: needsRoot }, async () => {
  const dir = newDir();
  const config = {
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'alpha' }, { path: '/b', pool: 'beta' }] }],
    pools: { alpha: hostilePool(dir), beta: hostilePool(dir) },
  };
  const first = await hostIn(dir, config);
  const a1 = (await ask(`${urlOf(first)}/`)).uid;
  const b1 = (await ask(`${urlOf(first)}/b/`)).uid;
  await first.stop();
  const second = await hostIn(dir, config);
  running.push(second);
  const a2 = (await ask(`${urlOf(second)}/`)).uid;
  const b2 = (await ask(`${urlOf(second)}/b/`)).uid;
  assert.notEqual(a1, b1);
  assert.equal(a2, a1);
  assert.equal(b2, b1);
  assert.equal(second.supervisor.identities.uidOf('alpha'), a1);
  // The socket folder of each pool is its own.
  assert.equal(statSync(join(dir, 'run', 'alpha')).uid, a1);
  assert.equal(statSync(join(dir, 'run', 'alpha')).mode & 0o777, 0o700);
});

test('paddock check rejects a missing user, a cwd or script the identity cannot reach, and a short token on a non-loopback admin binding', { skip: needsRoot }, async () => {
  const dir = newDir();
  chmodSync(dir, 0o711);
  const closed = join(dir, 'closed');
  mkdirSync(closed, { mode: 0o700 });
  const secretScript = join(dir, 'app.mjs');
  writeFileSync(secretScript, 'console.log(1)\n', { mode: 0o600 });
  const write = (name: string, config: Record<string, unknown>): string => {
    const file = join(dir, name);
    writeFileSync(file, stringify({ dataDir: join(dir, `${name}.data`), ...config }));
    return file;
  };
  const missing = await paddock(['check', '--config', write('missing.yaml', { pools: { web: { command: ['node', join(fixtures, 'hello.mjs')], processModel: { user: 'no-such-user-paddock' } } } })]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /pools\.web\.processModel\.user: user 'no-such-user-paddock' does not exist/);

  const cwd = await paddock(['check', '--config', write('cwd.yaml', { pools: { web: { command: ['node', join(fixtures, 'hello.mjs')], cwd: closed } } })]);
  assert.equal(cwd.code, 1, cwd.stderr);
  assert.match(cwd.stderr, new RegExp(`pools\\.web: .*cwd: uid \\d+ cannot enter ${closed}`));

  const script = await paddock(['check', '--config', write('script.yaml', { pools: { web: { command: ['node', secretScript] } } })]);
  assert.equal(script.code, 1, script.stderr);
  assert.match(script.stderr, new RegExp(`script: uid \\d+ cannot read ${secretScript}`));

  const short = await paddock(['check', '--config', write('short.yaml', { admin: { tcp: '0.0.0.0:9180', token: 'twenty-chars-long-xx' } })]);
  assert.equal(short.code, 1, short.stderr);
  assert.match(short.stderr, /admin\.token: admin\.tcp listens on 0\.0\.0\.0:9180.*at least 32 characters/);

  // The same short token on loopback, and a pool its identity can reach: ok.
  const fine = await paddock(['check', '--config', write('fine.yaml', { admin: { tcp: '127.0.0.1:9180', token: 'twenty-chars-long-xx' }, pools: { web: { command: ['node', join(fixtures, 'hello.mjs')] } } })]);
  assert.equal(fine.code, 0, fine.stderr);
  assert.match(fine.stdout, /^ok: 1 pool/);
});

test('the host stops a pool whose identity cannot read its script (5021 naming the path) instead of a crash loop', { skip: needsRoot }, async () => {
  const dir = newDir();
  const script = join(dir, 'private.mjs');
  writeFileSync(script, 'console.log(1)\n', { mode: 0o600 });
  const h = await hostIn(dir, { sites: oneSite('web'), pools: { web: helloPool({ command: ['node', script] }) } });
  running.push(h);
  const r = await get(`${urlOf(h)}/`);
  assert.equal(r.status, 503);
  const e = await waitFor(() => h.supervisor.events.query({ id: EventIds.IdentityInvalid, pool: 'web', limit: 5 })[0], 5000, 'event 5021');
  assert.match(e.message, new RegExp(`cannot read ${script}`));
  assert.equal(h.supervisor.events.query({ id: EventIds.WorkerCrashed, pool: 'web', limit: 5 }).length, 0, 'no worker was started to crash');
});

test('the admin cookie never reaches a worker: stripped from Cookie of an HTTP pool, the other cookies kept', async () => {
  const h = await startTestHost({ sites: oneSite('web'), pools: { web: helloPool() } });
  hosts.push(h);
  const both = JSON.parse((await get(`${h.url}/echo-headers`, { headers: { cookie: 'a=1; paddock_token=admin-secret-value; b=2' } })).body) as Record<string, string>;
  assert.equal(both.cookie, 'a=1; b=2');
  const only = JSON.parse((await get(`${h.url}/echo-headers`, { headers: { cookie: 'paddock_token=admin-secret-value' } })).body) as Record<string, string>;
  assert.equal(only.cookie, undefined);
  const none = JSON.parse((await get(`${h.url}/echo-headers`, { headers: { cookie: 'session=xyz' } })).body) as Record<string, string>;
  assert.equal(none.cookie, 'session=xyz');
});

test('the admin cookie never reaches a FastCGI worker: not in HTTP_COOKIE nor $_COOKIE', { skip: phpSkip }, async () => {
  const h = await startTestHost({ sites: oneSite('php'), pools: { php: phpPool() } });
  hosts.push(h);
  const r = await get(`${h.url}/cookies.php`, { headers: { cookie: 'a=1; paddock_token=admin-secret-value; b=2' } });
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { header: string | null; cookies: Record<string, string> };
  assert.equal(body.header, 'a=1; b=2');
  assert.deepEqual(body.cookies, { a: '1', b: '2' });
});

test('the dashboard and the API answer with frame protection on the socket and on TCP', async () => {
  const dir = newDir();
  const h = await hostIn(dir, { admin: { tcp: '127.0.0.1:0' } });
  running.push(h);
  for (const path of ['/', '/api/pools']) {
    const r = await unixGet(join(dir, 'admin.sock'), path);
    assert.equal(r.headers['x-frame-options'], 'DENY', path);
    assert.equal(r.headers['content-security-policy'], "frame-ancestors 'none'", path);
  }
  const tcp = await get(`http://127.0.0.1:${h.admin.tcpPort}/api/pools`, { headers: { authorization: `Bearer ${h.adminToken!.token}` } });
  assert.equal(tcp.status, 200);
  assert.equal(tcp.headers['x-frame-options'], 'DENY');
  assert.equal(tcp.headers['content-security-policy'], "frame-ancestors 'none'");
});

test('a TCP admin request with a foreign Host is refused 403 with event 7112; localhost, the address and admin.hosts are answered', async () => {
  const dir = newDir();
  const h = await hostIn(dir, { admin: { tcp: '127.0.0.1:0', hosts: ['paddock.internal'] } });
  running.push(h);
  const base = `http://127.0.0.1:${h.admin.tcpPort}`;
  const auth = { authorization: `Bearer ${h.adminToken!.token}` };
  const foreign = await get(`${base}/api/pools`, { headers: { ...auth, host: 'evil.example' } });
  assert.equal(foreign.status, 403);
  assert.match(foreign.body, /HostRefused/);
  const e = await waitFor(() => h.supervisor.events.query({ id: EventIds.AdminHostRefused, limit: 5 })[0], 5000, 'event 7112');
  assert.equal(e.details.host, 'evil.example');
  assert.equal(e.details.path, '/api/pools');
  for (const host of [`localhost:${h.admin.tcpPort}`, `127.0.0.1:${h.admin.tcpPort}`, 'paddock.internal']) {
    assert.equal((await get(`${base}/api/pools`, { headers: { ...auth, host } })).status, 200, host);
  }
  // A load balancer's health check is answered whatever host it names.
  assert.equal((await get(`${base}/health`, { headers: { host: 'lb.example' } })).status, 200);
});

test('without admin.token, a TCP binding gets a token made 0600 in dataDir (7111, never the token), reused on restart', async () => {
  const dir = newDir();
  const first = await hostIn(dir, { admin: { tcp: '127.0.0.1:0' } });
  const file = join(dir, 'admin.token');
  assert.equal(first.adminToken?.created, true);
  assert.equal(first.adminToken?.file, file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  assert.ok(token.length >= 32);
  const made = first.supervisor.events.query({ id: EventIds.AdminTokenCreated, limit: 5 });
  assert.equal(made.length, 1);
  assert.equal(made[0].details.file, file);
  assert.ok(!JSON.stringify(made[0]).includes(token), 'the event does not hold the token');
  const ok = await get(`http://127.0.0.1:${first.admin.tcpPort}/api/pools`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.status, 200);
  await first.stop();

  const second = await hostIn(dir, { admin: { tcp: '127.0.0.1:0' } });
  running.push(second);
  assert.equal(second.adminToken?.created, false);
  assert.equal(second.adminToken?.token, token);
  assert.equal(second.supervisor.events.query({ id: EventIds.AdminTokenCreated, limit: 5 }).length, 1, 'no second token was made');
  const again = await get(`http://127.0.0.1:${second.admin.tcpPort}/api/pools`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(again.status, 200);
});

test("a crash report holds no secret of the host's own environment that the worker inherited", async () => {
  const secret = 'host-env-secret-9f2c-do-not-leak';
  process.env.HOST_API_TOKEN = secret;
  try {
    const h = await startTestHost({
      sites: oneSite('web'),
      pools: { web: { command: ['node', join(fixtures, 'diagnostics-worker.mjs')], processModel: { startupTimeLimit: '10s', shutdownTimeLimit: '5s' } } },
    });
    hosts.push(h);
    assert.equal((await get(`${h.url}/print-env?name=HOST_API_TOKEN`)).status, 200);
    assert.equal((await get(`${h.url}/throw`, { method: 'POST' })).status, 502);
    const e = await h.waitForEvent(EventIds.CrashReport, 'web');
    const report = h.host.supervisor.crash(String(e.details.report)) as CrashReport;
    const text = JSON.stringify(report);
    assert.ok(!text.includes(secret), 'the host env secret is not in the report');
    assert.match(text, /\[redacted HOST_API_TOKEN\]/, 'the line that printed it is there, redacted');
  } finally {
    delete process.env.HOST_API_TOKEN;
  }
});

test('paddock run prints the dashboard address with the made token once, then where the token is; a short token off loopback starts nothing', async () => {
  const dir = newDir();
  const file = join(dir, 'paddock.yaml');
  writeFileSync(file, stringify({ dataDir: dir, listen: ['127.0.0.1:0'], admin: { tcp: '127.0.0.1:0' } }));
  const first = await startHostProcess(file);
  const token = await waitFor(() => { try { return readFileSync(join(dir, 'admin.token'), 'utf8').trim(); } catch { return null; } }, 5000, 'admin.token');
  const printed = await waitFor(() => /dashboard (\S+)/.exec(first.w.err())?.[1] ?? null, 5000, 'the dashboard line');
  assert.match(printed, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/\\?token=${token}$`), 'the real token, not a placeholder');
  assert.equal(await first.stop(), 0);
  const second = await startHostProcess(file);
  const again = await waitFor(() => /dashboard .*/.exec(second.w.err())?.[0] ?? null, 5000, 'the dashboard line');
  assert.ok(!again.includes(token), again);
  assert.match(again, /admin\.token/);
  assert.equal(await second.stop(), 0);

  writeFileSync(file, stringify({ dataDir: dir, listen: ['127.0.0.1:0'], admin: { tcp: '0.0.0.0:0', token: 'too-short-for-a-network' } }));
  const refused = await paddock(['run', '--config', file]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /admin\.token: .*at least 32 characters/);
  assert.match(refused.stderr, /nothing was started/);
});
