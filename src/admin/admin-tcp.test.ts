import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../events/event-log.ts';
import { FakeHostControl } from './fake-host-control.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { call, type Target } from './test-http.ts';

describe('admin server on TCP', () => {
  const token = 's3cret-token';
  let dir: string;
  let events: EventLog;
  let control: FakeHostControl;
  let server: AdminServer;
  let tcp: Target;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-admin-'));
    events = EventLog.open(dir, { stdout: null });
    control = new FakeHostControl(dir, events);
    server = await startAdminServer(control, {
      socket: join(dir, 'admin.sock'), tcp: { host: '127.0.0.1', port: 0 }, token, dashboardHtml: () => '<h1>paddock</h1>',
    });
    assert.ok(server.tcpPort && server.tcpPort > 0);
    tcp = { host: '127.0.0.1', port: server.tcpPort };
  });

  after(async () => {
    await server.close();
    events.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses requests without the right bearer token', async () => {
    const none = await call(tcp, 'GET', '/api/pools');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="paddock"');
    assert.equal(none.json.code, 'Unauthorized');
    assert.equal((await call(tcp, 'GET', '/api/pools', { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await call(tcp, 'GET', '/api/pools', { authorization: `Basic ${token}` })).status, 401);
    assert.equal((await call(tcp, 'POST', '/api/pools/web/stop')).status, 401);
    assert.equal((await call(tcp, 'GET', '/metrics')).status, 401);
    assert.deepEqual(control.calls, []);
  });

  it('serves every route with the token', async () => {
    const r = await call(tcp, 'GET', '/api/pools', { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
    assert.equal(r.json.length, 2);
    const page = await call(tcp, 'GET', '/dashboard', { authorization: `Bearer ${token}` });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.text, '<h1>paddock</h1>');
  });

  it('answers the health checks without a token', async () => {
    assert.equal((await call(tcp, 'GET', '/health')).status, 200);
    assert.equal((await call(tcp, 'GET', '/health/pools/web')).status, 200);
    assert.equal((await call(tcp, 'GET', '/health/pools/api')).status, 503);
    assert.equal((await call(tcp, 'GET', '/health/pools/nope')).status, 404);
  });

  it('lets a browser open the dashboard with ?token= once, then by cookie', async () => {
    const login = await call(tcp, 'GET', `/?token=${token}`);
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/');
    const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0];
    assert.match(String(login.headers['set-cookie']?.[0]), /HttpOnly; SameSite=Strict/);
    assert.equal((await call(tcp, 'GET', '/?token=wrong')).status, 401);
    const page = await call(tcp, 'GET', '/', { cookie });
    assert.equal(page.status, 200);
    const host = `127.0.0.1:${server.tcpPort}`;
    const foreign = await call(tcp, 'POST', '/api/pools/web/recycle', { cookie, origin: 'https://evil.example', host });
    assert.equal(foreign.status, 403);
    const same = await call(tcp, 'POST', '/api/pools/web/recycle', { cookie, origin: `http://${host}`, host });
    assert.equal(same.status, 200);
  });
});
