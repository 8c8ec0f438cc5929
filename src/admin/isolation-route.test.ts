import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../events/event-log.ts';
import { FakeHostControl } from './fake-host-control.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { call } from './test-http.ts';

let dir: string;
let events: EventLog;
let server: AdminServer;
let socketPath: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paddock-iso-'));
  events = EventLog.open(dir, { stdout: null });
  socketPath = join(dir, 'admin.sock');
  server = await startAdminServer(new FakeHostControl(dir, events), { socket: socketPath, tcp: null, token: null });
});

after(async () => {
  await server.close();
  events.close();
  await rm(dir, { recursive: true, force: true });
});

test('GET /api/isolation returns what the host found, as JSON', async () => {
  const r = await call({ socketPath }, 'GET', '/api/isolation');
  assert.equal(r.status, 200);
  const body = r.json;
  assert.equal(body.enabled, true);
  assert.equal(body.layout, 'v2');
  assert.deepEqual(body.hostCgroups, { unified: '/system.slice/paddock.service' });
  assert.equal(body.reason, null);
  assert.ok(body.root[0].startsWith('/sys/fs/cgroup/system.slice/paddock.service/paddock/'));
});
