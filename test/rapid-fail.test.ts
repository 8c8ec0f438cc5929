import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chmodSync, writeFileSync, rmSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { startTestHost, fixtures, get, helloPool, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
let marker: string;
before(async () => {
  const markerDir = mkdtempSync(join(tmpdir(), 'pdk-marker-'));
  // The workers run as an ApplicationPoolIdentity under root: they must be able to see the marker.
  chmodSync(markerDir, 0o711);
  marker = join(markerDir, 'crash-marker');
  writeFileSync(marker, 'crash');
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'good' }, { path: '/bad', pool: 'bad' }, { path: '/badtcp', pool: 'badtcp' }] }],
    pools: {
      good: helloPool(),
      bad: {
        command: ['node', join(fixtures, 'crash-at-start.mjs')],
        env: { CRASH_MARKER: marker },
        failure: { rapidFailProtectionMaxCrashes: 3, rapidFailProtectionInterval: '1m', autoShutdownAction: ['node', '-e', 'console.log("auto shutdown of " + process.argv[1])', '{pool}'] },
      },
      badtcp: {
        command: ['node', join(fixtures, 'crash-at-start.mjs')],
        env: { CRASH_MARKER: marker },
        failure: { rapidFailProtectionMaxCrashes: 2, loadBalancerCapabilities: 'TcpLevel' },
      },
    },
  });
});
after(async () => {
  if (marker && existsSync(marker)) rmSync(marker);
  await h?.stop();
});

function health(pool: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ socketPath: join(h.dir, 'admin.sock'), path: `/health/pools/${pool}` }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject).end();
  });
}

test('a worker that crashes at start trips rapid-fail after exactly rapidFailProtectionMaxCrashes failures', async () => {
  assert.equal(await health('bad'), 200);
  const r = await get(`${h.url}/bad`);
  assert.equal(r.status, 503, 'the queued request is answered 503 when the pool stops');
  assert.match(r.body, /AppOffline/);
  assert.ok(r.headers['retry-after']);
  const stopped = await h.waitForEvent(EventIds.RapidFailStopped, 'bad');
  assert.equal(h.events(EventIds.WorkerCrashed, 'bad').length, 3, 'exactly three crashes, then no more starts');
  assert.equal((stopped.details.failures as unknown[]).length, 3);
  assert.equal(h.host.supervisor.pool('bad').stopReason, 'rapidFail');
  // New requests: 503 AppOffline; the load balancer's health check says so too.
  const again = await get(`${h.url}/bad`);
  assert.equal(again.status, 503);
  assert.equal(await health('bad'), 503);
  // The other pool is untouched.
  assert.equal((await get(`${h.url}/`)).status, 200);
  const action = await h.waitForEvent(EventIds.AutoShutdownActionRan, 'bad');
  assert.match(String(action.details.output), /auto shutdown of bad/);
});

test('with TcpLevel a rapid-fail-stopped pool resets connections', async () => {
  await get(`${h.url}/badtcp`).catch(() => null);
  await h.waitForEvent(EventIds.RapidFailStopped, 'badtcp');
  await assert.rejects(get(`${h.url}/badtcp`), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
  assert.equal((await get(`${h.url}/`)).status, 200, 'the other pool keeps serving');
});

test('paddock start brings a rapid-fail-stopped pool back, with a fresh window', async () => {
  rmSync(marker);
  await h.host.supervisor.startPool('bad');
  const r = await get(`${h.url}/bad`);
  assert.equal(r.status, 200);
  assert.match(r.body, /^up pid/);
  assert.equal(h.host.supervisor.pool('bad').recentFailures, 0);
  assert.equal(await health('bad'), 200);
});
