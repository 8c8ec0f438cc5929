import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../events/event-log.ts';
import { FakeHostControl } from './fake-host-control.ts';
import { startHealthServer, type HealthServer } from './health-server.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import type { DrainControl, DrainSnapshot, DrainStartOptions } from './drain-control.ts';
import { call, type Target } from './test-http.ts';

/** A drain that records its commands and flips `draining`. */
class RecordingDrain implements DrainControl {
  draining = false;
  readonly starts: DrainStartOptions[] = [];
  snapshot(): DrainSnapshot {
    return { state: this.draining ? 'draining' : 'serving', startedAt: null, deadline: null, idleTime: 5_000, timeLimit: 60_000, busy: 0, lastActivityAt: null, requestsSince: 0, end: null };
  }
  start(options: DrainStartOptions = {}): DrainSnapshot {
    this.starts.push(options);
    this.draining = true;
    return this.snapshot();
  }
  cancel(): DrainSnapshot {
    this.draining = false;
    return this.snapshot();
  }
}

describe('the health listener (health.listen)', () => {
  let dir: string;
  let events: EventLog;
  let control: FakeHostControl;
  const drain = new RecordingDrain();
  let plain: HealthServer;
  let withMetrics: HealthServer;
  let t: Target;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-health-'));
    events = EventLog.open(dir, { stdout: null });
    control = new FakeHostControl(dir, events);
    plain = await startHealthServer(control, { listen: { host: '127.0.0.1', port: 0, tls: false }, metrics: false, drain });
    withMetrics = await startHealthServer(control, { listen: { host: '127.0.0.1', port: 0, tls: false }, metrics: true, drain });
    t = { host: '127.0.0.1', port: plain.port };
  });
  after(async () => {
    await plain.close();
    await withMetrics.close();
    events.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers liveness and readiness without a token', async () => {
    const live = await call(t, 'GET', '/health');
    assert.equal(live.status, 200);
    assert.deepEqual([live.json.status, live.json.draining], ['ok', false]);
    assert.equal((await call(t, 'GET', '/health/pools/web')).status, 200);
    const api = await call(t, 'GET', '/health/pools/api');
    assert.deepEqual([api.status, api.json.reason, api.headers['paddock-readiness']], [503, 'rapidFail', 'rapidFail']);
    assert.equal((await call(t, 'GET', '/health/pools/nope')).status, 404);
  });

  it('HEAD gives the status and the reason header with no body', async () => {
    const r = await call(t, 'HEAD', '/health/pools/api');
    assert.deepEqual([r.status, r.headers['paddock-readiness'], r.text], [503, 'rapidFail', '']);
    assert.equal((await call(t, 'HEAD', '/health')).status, 200);
  });

  it('serves nothing else: the admin API is not reachable through it', async () => {
    assert.equal((await call(t, 'GET', '/api/pools')).status, 404);
    assert.equal((await call(t, 'POST', '/api/pools/web/stop')).status, 404);
    assert.equal((await call(t, 'POST', '/api/drain')).status, 404);
    assert.equal((await call(t, 'GET', '/metrics')).status, 404);
    assert.equal((await call(t, 'GET', '/')).status, 404);
    const post = await call(t, 'POST', '/health');
    assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD']);
    assert.deepEqual(control.calls, []);
  });

  it('serves /metrics too when health.metrics is on', async () => {
    const m = await call({ host: '127.0.0.1', port: withMetrics.port }, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.text, /^paddock_pool_requests_total\{pool="web"\} 84$/m);
  });

  it('while the host drains, every started pool answers 503 draining and liveness stays 200', async () => {
    drain.draining = true;
    try {
      const web = await call(t, 'GET', '/health/pools/web');
      assert.deepEqual([web.status, web.json.reason, web.headers['paddock-readiness']], [503, 'draining', 'draining']);
      const live = await call(t, 'GET', '/health');
      assert.deepEqual([live.status, live.json.draining], [200, true]);
      assert.equal((await call(t, 'GET', '/health/pools/api')).json.reason, 'rapidFail', 'a stopped pool still says why');
    } finally {
      drain.draining = false;
    }
  });

  it('refuses a binding it cannot take, naming it', async () => {
    await assert.rejects(
      startHealthServer(control, { listen: { host: '127.0.0.1', port: plain.port, tls: false }, metrics: false, drain }),
      (err: Error) => err.message.includes(`127.0.0.1:${plain.port}`) && /health checks/.test(err.message),
    );
  });
});

describe('drain on the admin API', () => {
  let dir: string;
  let events: EventLog;
  let server: AdminServer;
  let bare: AdminServer;
  const drain = new RecordingDrain();
  const token = 'drain-test-token';
  let tcp: Target;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-drainapi-'));
    events = EventLog.open(dir, { stdout: null });
    const control = new FakeHostControl(dir, events);
    server = await startAdminServer(control, { socket: join(dir, 'a.sock'), tcp: { host: '127.0.0.1', port: 0 }, token, drain });
    bare = await startAdminServer(control, { socket: join(dir, 'b.sock'), tcp: null, token: null });
    tcp = { host: '127.0.0.1', port: server.tcpPort! };
  });
  after(async () => {
    await server.close();
    await bare.close();
    events.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('POST /api/drain starts it with an optional timeLimit; /cancel ends it; GET shows it', async () => {
    const sock = { socketPath: join(dir, 'a.sock') };
    const started = await call(sock, 'POST', '/api/drain?timeLimit=30s');
    assert.deepEqual([started.status, started.json.state], [200, 'draining']);
    assert.deepEqual(drain.starts.at(-1), { timeLimit: 30_000 });
    assert.equal((await call(sock, 'GET', '/api/drain')).json.state, 'draining');
    assert.equal((await call(sock, 'GET', '/health/pools/web')).json.reason, 'draining');
    assert.equal((await call(sock, 'POST', '/api/drain/cancel')).json.state, 'serving');
    await call(sock, 'POST', '/api/drain');
    assert.deepEqual(drain.starts.at(-1), {});
    drain.cancel();
  });

  it('refuses a bad timeLimit with 400 and changes nothing', async () => {
    const sock = { socketPath: join(dir, 'a.sock') };
    const before = drain.starts.length;
    const r = await call(sock, 'POST', '/api/drain?timeLimit=soon');
    assert.equal(r.status, 400);
    assert.match(r.json.error, /^timeLimit: /);
    assert.equal((await call(sock, 'POST', '/api/drain?timeLimit=0')).status, 400);
    assert.equal(drain.starts.length, before);
    assert.equal(drain.draining, false);
  });

  it('needs the token over TCP, as every command does', async () => {
    assert.equal((await call(tcp, 'POST', '/api/drain')).status, 401);
    assert.equal((await call(tcp, 'GET', '/api/drain')).status, 401);
    assert.equal(drain.draining, false);
    const r = await call(tcp, 'POST', '/api/drain/cancel', { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
  });

  it('a host without a drain answers 404 for it', async () => {
    assert.equal((await call({ socketPath: join(dir, 'b.sock') }, 'POST', '/api/drain')).status, 404);
  });
});
