import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { EventLog, type PaddockEvent } from '../events/event-log.ts';
import { FakeHostControl, BROKEN_POOL } from './fake-host-control.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { parseSince } from './event-query.ts';
import { call, openStream, type Target } from './test-http.ts';


describe('admin server on a unix socket', () => {
  let dir: string;
  let events: EventLog;
  let control: FakeHostControl;
  let server: AdminServer;
  let sock: Target;
  let socketPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-admin-'));
    events = EventLog.open(dir, { stdout: null });
    control = new FakeHostControl(dir, events);
    socketPath = join(dir, 'admin.sock');
    server = await startAdminServer(control, { socket: socketPath, tcp: null, token: null });
    sock = { socketPath };
  });

  after(async () => {
    await server.close();
    events.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0600 and no TCP port', async () => {
    const st = await stat(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(server.tcpPort, null);
  });

  it('GET /health answers ok with the start time', async () => {
    const r = await call(sock, 'GET', '/health');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.json.status, 'ok');
    assert.equal(r.json.startedAt, control.startedAt);
    assert.equal(r.json.pid, process.pid);
    assert.ok(r.text.includes('\n  "status"'), 'indented for curl');
  });

  it('GET /api/pools and /api/pools/:name return snapshots; unknown pool is 404', async () => {
    const all = await call(sock, 'GET', '/api/pools');
    assert.equal(all.status, 200);
    assert.deepEqual(all.json.map((p: { name: string }) => p.name), ['web', 'api']);
    const web = await call(sock, 'GET', '/api/pools/web');
    assert.equal(web.status, 200);
    assert.equal(web.json.name, 'web');
    assert.equal(web.json.workers.length, 2);
    const trailing = await call(sock, 'GET', '/api/pools/web/');
    assert.equal(trailing.status, 200);
    const none = await call(sock, 'GET', '/api/pools/nope');
    assert.equal(none.status, 404);
    assert.deepEqual(none.json, { error: "pool 'nope' not found", code: 'NotFound' });
  });

  it('POST start/stop/recycle run the command and return the pool after it', async () => {
    const stop = await call(sock, 'POST', '/api/pools/web/stop');
    assert.equal(stop.status, 200);
    assert.equal(stop.json.state, 'stopped');
    assert.equal(stop.json.stopReason, 'admin');
    const conflict = await call(sock, 'POST', '/api/pools/web/recycle');
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.code, 'Conflict');
    const start = await call(sock, 'POST', '/api/pools/web/start');
    assert.equal(start.status, 200);
    assert.equal(start.json.state, 'started');
    const recycle = await call(sock, 'POST', '/api/pools/web/recycle');
    assert.equal(recycle.status, 200);
    assert.deepEqual(control.calls.slice(-3), ['stop web', 'start web', 'recycle web']);
    const unknown = await call(sock, 'POST', '/api/pools/nope/start');
    assert.equal(unknown.status, 404);
  });

  it('answers 405 with Allow for a wrong method and 404 for an unknown route', async () => {
    const wrong = await call(sock, 'GET', '/api/pools/web/stop');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'POST');
    assert.equal(wrong.json.code, 'MethodNotAllowed');
    const del = await call(sock, 'DELETE', '/api/pools');
    assert.equal(del.status, 405);
    assert.equal(del.headers.allow, 'GET, HEAD');
    const missing = await call(sock, 'GET', '/api/nothing');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'NotFound');
  });

  it('HEAD answers like GET without a body', async () => {
    const r = await call(sock, 'HEAD', '/health');
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
  });

  it('GET /api/workers lists all workers or those of one pool', async () => {
    const all = await call(sock, 'GET', '/api/workers');
    assert.equal(all.status, 200);
    assert.ok(all.json.length >= 2);
    for (const w of all.json) {
      assert.deepEqual(Object.keys(w).sort(), ['cpuSeconds', 'health', 'id', 'inFlight', 'pid', 'pool', 'requests', 'rssBytes', 'startedAt', 'state'].sort());
    }
    const api = await call(sock, 'GET', '/api/workers?pool=api');
    assert.deepEqual(api.json, []);
    const none = await call(sock, 'GET', '/api/workers?pool=nope');
    assert.equal(none.status, 404);
  });

  it('GET /api/events filters by pool, id, since, after and limit', async () => {
    const first = events.write({ id: 6001, pool: 'web', worker: 'w9', pid: 999, message: 'worker started' });
    events.write({ id: 5009, pool: 'api', worker: 'w1', pid: 1000, message: 'worker terminated unexpectedly', details: { exitCode: 1 } });
    events.write({ id: 6002, pool: 'web', worker: 'w9', pid: 999, message: 'worker ready' });

    const all = await call(sock, 'GET', '/api/events');
    assert.equal(all.status, 200);
    const seqs = all.json.map((e: PaddockEvent) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a: number, b: number) => a - b), 'oldest first');
    const crash = all.json.find((e: PaddockEvent) => e.id === 5009);
    assert.deepEqual(Object.keys(crash).sort(), ['details', 'id', 'level', 'message', 'pid', 'pool', 'seq', 'time', 'worker']);
    assert.deepEqual(crash.details, { exitCode: 1 });

    const api = await call(sock, 'GET', '/api/events?pool=api');
    assert.ok(api.json.length >= 1 && api.json.every((e: PaddockEvent) => e.pool === 'api'));
    const byId = await call(sock, 'GET', '/api/events?id=6002');
    assert.ok(byId.json.length >= 1 && byId.json.every((e: PaddockEvent) => e.id === 6002));
    const limited = await call(sock, 'GET', '/api/events?limit=1');
    assert.equal(limited.json.length, 1);
    assert.equal(limited.json[0].id, 6002, 'the newest');
    const afterFirst = await call(sock, 'GET', `/api/events?after=${first.seq}`);
    assert.deepEqual(afterFirst.json.map((e: PaddockEvent) => e.id), [5009, 6002]);

    const recent = await call(sock, 'GET', '/api/events?since=10m');
    assert.ok(recent.json.some((e: PaddockEvent) => e.seq === first.seq));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await call(sock, 'GET', `/api/events?since=${encodeURIComponent(future)}`);
    assert.deepEqual(none.json, []);
    const epoch = await call(sock, 'GET', `/api/events?since=${Date.parse(first.time)}&pool=web`);
    assert.ok(epoch.json.some((e: PaddockEvent) => e.seq === first.seq));

    for (const bad of ['since=yesterday', 'limit=abc', 'limit=0', 'id=x', 'after=-1']) {
      const r = await call(sock, 'GET', `/api/events?${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.json.code, 'BadRequest');
    }
  });

  it('GET /api/events/stream sends the backlog after `after`, then new events, as NDJSON', async () => {
    const before = events.write({ id: 6001, pool: 'web', message: 'before' });
    const missed = events.write({ id: 6002, pool: 'web', message: 'written while away' });
    const stream = openStream(sock, `/api/events/stream?pool=web&after=${before.seq}`);
    await stream.until((t) => t.includes('written while away'));
    events.write({ id: 6003, pool: 'api', message: 'other pool' });
    events.write({ id: 6003, pool: 'web', message: 'live one' });
    const text = await stream.until((t) => t.includes('live one'));
    stream.close();
    assert.match(String(stream.res?.headers['content-type']), /^application\/x-ndjson/);
    const got = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as PaddockEvent);
    assert.deepEqual(got.map((e) => e.message), ['written while away', 'live one']);
    assert.equal(got[0].seq, missed.seq);
  });

  it('GET /api/events/stream speaks server-sent events with id = seq', async () => {
    const stream = openStream(sock, '/api/events/stream?id=5078', { accept: 'text/event-stream' });
    await stream.headers; // the head is sent once the subscription is in place
    const e = events.write({ id: 5078, pool: 'web', message: 'reported unhealthy' });
    const text = await stream.until((t) => t.includes('\n\n'));
    stream.close();
    assert.match(String(stream.res?.headers['content-type']), /^text\/event-stream/);
    assert.equal(text, `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
  });

  it('GET /api/logs/:pool sends the last lines, and with follow=1 new ones', async () => {
    const file = join(dir, 'web.log');
    await writeFile(file, 'one\ntwo\nthree\nfour\n');
    control.logFiles.set('web', file);
    const tail = await call(sock, 'GET', '/api/logs/web?lines=2');
    assert.equal(tail.status, 200);
    assert.match(String(tail.headers['content-type']), /^text\/plain/);
    assert.equal(tail.text, 'three\nfour\n');

    const stream = openStream(sock, '/api/logs/web?lines=1&follow=1');
    await stream.until((t) => t === 'four\n');
    await appendFile(file, 'five\n');
    assert.equal(await stream.until((t) => t.includes('five')), 'four\nfive\n');
    stream.close();

    assert.equal((await call(sock, 'GET', '/api/logs/nope')).status, 404);
    assert.equal((await call(sock, 'GET', '/api/logs/web?lines=x')).status, 400);
  });

  it('POST /api/reload answers 200 with the result, or 400 when the file is refused', async () => {
    const ok = await call(sock, 'POST', '/api/reload');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { ok: true, added: ['new'], removed: [], changed: ['web'], applied: ['pools.new (added)', 'pools.web.queueLength'], waitsForRestart: [] });
    control.reloadResult = { ok: false, errors: ['paddock.yaml:3:5: pools.web.queueLength: expected a number'] };
    const bad = await call(sock, 'POST', '/api/reload');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.ok, false);
    assert.equal(bad.json.errors.length, 1);
    control.reloadResult = { ok: true, added: [], removed: [], changed: [], applied: [], waitsForRestart: [] };
  });

  it('GET /metrics is Prometheus text 0.0.4', async () => {
    const r = await call(sock, 'GET', '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(r.text, /^paddock_pool_requests_total\{pool="web"\} 84$/m);
  });

  it('GET /health/pools/:name is 200 when available, 503 when not, 404 when unknown', async () => {
    const web = await call(sock, 'GET', '/health/pools/web');
    assert.equal(web.status, 200);
    assert.deepEqual(web.json, { pool: 'web', ready: true, reason: 'ready', message: "pool 'web' can take a request", available: true, state: 'started', stopReason: null });
    assert.equal(web.headers['paddock-readiness'], 'ready');
    const api = await call(sock, 'GET', '/health/pools/api');
    assert.equal(api.status, 503);
    assert.equal(api.json.stopReason, 'rapidFail');
    assert.equal(api.json.reason, 'rapidFail');
    assert.equal(api.headers['paddock-readiness'], 'rapidFail');
    assert.equal((await call(sock, 'GET', '/health/pools/nope')).status, 404);
  });

  it('GET / and /dashboard are 404 without a dashboard', async () => {
    assert.equal((await call(sock, 'GET', '/')).status, 404);
    assert.equal((await call(sock, 'GET', '/dashboard')).status, 404);
  });

  it('turns an unexpected failure into a 500 and keeps serving', async () => {
    const r = await call(sock, 'GET', `/api/pools/${BROKEN_POOL}`);
    assert.equal(r.status, 500);
    assert.deepEqual(r.json, { error: 'snapshot failed', code: 'InternalError' });
    assert.equal((await call(sock, 'GET', '/health')).status, 200);
  });
});

describe('admin server lifecycle', () => {
  it('replaces a stale socket left by a killed host, and refuses a live one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paddock-admin-'));
    const events = EventLog.open(dir, { stdout: null });
    const control = new FakeHostControl(dir, events);
    const socket = join(dir, 'admin.sock');
    // A process that listens and dies by SIGKILL leaves its socket file behind.
    spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.ok(existsSync(socket), 'stale socket left behind');
    const server = await startAdminServer(control, { socket, tcp: null, token: null });
    assert.equal((await call({ socketPath: socket }, 'GET', '/health')).status, 200);

    await assert.rejects(startAdminServer(control, { socket, tcp: null, token: null }), { code: 'ADMIN_SOCKET_IN_USE' });
    assert.equal((await call({ socketPath: socket }, 'GET', '/health')).status, 200, 'the first host keeps its socket');

    // close() ends open streams instead of waiting for them, and removes the socket file.
    const stream = openStream({ socketPath: socket }, '/api/events/stream');
    await stream.headers;
    await server.close();
    assert.equal(existsSync(socket), false);
    events.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a TCP listener without a token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paddock-admin-'));
    const events = EventLog.open(dir, { stdout: null });
    await assert.rejects(
      startAdminServer(new FakeHostControl(dir, events), { socket: join(dir, 'a.sock'), tcp: { host: '127.0.0.1', port: 0 }, token: null }),
      { code: 'ADMIN_TOKEN_REQUIRED' },
    );
    events.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('parseSince', () => {
  const now = Date.parse('2025-01-31T12:00:00Z');
  it('reads durations, ISO times and epoch milliseconds', () => {
    assert.equal(parseSince('10m', now), now - 600_000);
    assert.equal(parseSince('1h30m', now), now - 5_400_000);
    assert.equal(parseSince('2d', now), now - 2 * 86_400_000);
    assert.equal(parseSince('00:15:00', now), now - 900_000);
    assert.equal(parseSince('2025-01-31T10:00:00Z', now), Date.parse('2025-01-31T10:00:00Z'));
    assert.equal(parseSince('1738324800000', now), 1738324800000);
    assert.throws(() => parseSince('yesterday', now), { code: 'BadSince' });
    assert.throws(() => parseSince('2025-13-45', now), { code: 'BadSince' });
  });
});
