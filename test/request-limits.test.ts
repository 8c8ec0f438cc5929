/**
 * Bounded under the slow, the stuck and the flood (issue 12): a response that never starts gets
 * 504, a queue wait past its limit 503 QueueFull, a stalled upload 408, a saturated worker sheds
 * load, stuck requests recycle their worker after a hang report, a poison request is not tried a
 * third time and its two deaths count once, and a worker sick from its start ends in rapid-fail.
 * Each scenario runs on a pool of its own while another pool takes steady load; that pool must
 * serve every request meanwhile.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventIds } from '../src/events/event-ids.ts';
import { startTestHost, helloPool, get, load, waitFor, type TestHost } from './helpers/test-host.ts';
import { readW3c } from './helpers/w3c-reader.ts';

let h: TestHost;
let steady: ReturnType<typeof load>;

const apps = ['timeout', 'shed', 'blocked', 'poison', 'sick'].map((p) => ({ path: `/${p}`, pool: p, stripPrefix: true }));

before(async () => {
  h = await startTestHost({
    webLimits: { entityBodyTimeout: '300ms' },
    sites: [{ name: 'main', hosts: ['*'], apps: [{ path: '/', pool: 'other' }, ...apps] }],
    pools: {
      other: helloPool(),
      timeout: helloPool({ processModel: { requestTimeout: '400ms' } }),
      // AlwaysRunning: a queue wait this short must not be spent on the worker's start.
      shed: helloPool({ startMode: 'AlwaysRunning', queueLength: 1, processModel: { maxConcurrentRequestsPerWorker: 1, queueTimeout: '500ms' } }),
      // The stuck requests (6 s) finish on the old worker: its drain outlasts them.
      blocked: helloPool({ processModel: { requestTimeout: 0, shutdownTimeLimit: '30s' }, failure: { blockedRequestLimit: 2, blockedRequestTime: '300ms' } }),
      poison: helloPool(),
      sick: helloPool({ failure: { rapidFailProtectionMaxCrashes: 2 } }),
    },
  });
  steady = load(`${h.url}/`, 2);
});

after(async () => {
  await steady?.stop();
  await h?.stop();
});

/** The access log's rows so far. */
async function accessRows(): Promise<Array<Record<string, string>>> {
  await h.host.supervisor.accessLog.flush();
  return readW3c(readFileSync(join(h.dir, 'logs', 'access.log'), 'utf8')).rows;
}

function pool(name: string) {
  return h.host.supervisor.poolMap.get(name)!;
}

test('requestTimeout: no response head within it is a 504 with an event and an access-log reason; the worker lives and is not asked again', async () => {
  await get(`${h.url}/timeout/`);
  const pid = pool('timeout').workers[0].pid;
  const t0 = Date.now();
  const r = await get(`${h.url}/timeout/slow?ms=5000`);
  assert.equal(r.status, 504);
  assert.ok(Date.now() - t0 < 4000, 'answered at the timeout, not when the worker finished');
  const e = await h.waitForEvent(EventIds.RequestTimedOut, 'timeout');
  assert.deepEqual(e.details.requests, ['GET /timeout/slow']);
  assert.equal(e.details.requestTimeoutMs, 400);
  const after = await get(`${h.url}/timeout/`);
  assert.equal(after.status, 200);
  assert.equal(pool('timeout').workers[0].pid, pid, 'the worker is slow, not dead: it is not recycled');
  assert.equal(pool('timeout').workers[0].requests, 3, 'the timed-out request was not retried');
  const row = (await accessRows()).find((x) => x['cs-uri-stem'] === '/timeout/slow');
  assert.equal(row?.['sc-status'], '504');
  assert.equal(row?.['s-reason'], 'RequestTimeout');
});

test('entityBodyTimeout: an upload that stalls after 3 of 100 bytes gets 408 and its connection closes', async () => {
  const reply = await new Promise<string>((resolve, reject) => {
    const s = connect(h.port, '127.0.0.1', () => s.write('POST /timeout/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc'));
    let text = '';
    s.on('data', (c) => (text += c.toString()));
    s.on('close', () => resolve(text));
    s.on('error', reject);
    setTimeout(() => s.destroy(new Error('the host never closed the stalled upload')), 10_000).unref();
  });
  assert.match(reply, /^HTTP\/1\.1 408 /);
  const row = await waitFor(async () => (await accessRows()).find((x) => x['cs-uri-stem'] === '/timeout/upload'), 5000, 'the upload in the access log');
  assert.equal(row['sc-status'], '408');
  assert.equal(row['s-reason'], 'Timer_EntityBody');
});

test('load shedding: past maxConcurrentRequestsPerWorker requests queue though the worker is ready; the excess gets 503 at once, a queued one 503 after queueTimeout', async () => {
  await waitFor(() => pool('shed').workers[0]?.state === 'ready', 15_000, 'the shed pool ready');
  assert.equal((await get(`${h.url}/shed/`)).status, 200);
  const holding = get(`${h.url}/shed/slow?ms=2500`);
  await waitFor(() => pool('shed').workers[0].inFlight === 1, 5000, 'the first request on the worker');
  const queued = get(`${h.url}/shed/slow?ms=1`);
  await waitFor(() => pool('shed').inspect().queued === 1, 5000, 'the second request queued');
  const t0 = Date.now();
  const excess = await get(`${h.url}/shed/`);
  assert.equal(excess.status, 503, 'the queue is full: refused at once');
  assert.match(excess.body, /QueueFull/);
  assert.ok(Date.now() - t0 < 1000);
  const q = await queued;
  assert.equal(q.status, 503, 'waited past queueTimeout');
  const e = await h.waitForEvent(EventIds.QueueTimedOut, 'shed');
  assert.equal(e.details.count, 1);
  assert.equal((await holding).status, 200);
  assert.equal(pool('shed').workers.length, 1, 'a worker at its limit is not replaced');
  const reasons = (await accessRows()).filter((x) => x['s-pool'] === 'shed' && x['sc-status'] === '503').map((x) => x['s-reason']);
  assert.deepEqual(reasons, ['QueueFull', 'QueueFull']);
});

test('blocked requests: a worker holding 2 requests past blockedRequestTime gets a hang report, then an overlapping recycle (5078) naming them', async () => {
  await get(`${h.url}/blocked/`);
  const old = pool('blocked').workers[0];
  const stuck = [get(`${h.url}/blocked/slow?ms=6000`), get(`${h.url}/blocked/slow?ms=6000`)];
  const recycle = await h.waitForEvent(EventIds.RecycleUnhealthy, 'blocked', 20_000);
  assert.equal(recycle.worker, old.id);
  assert.deepEqual(recycle.details.blockedRequests, ['GET /blocked/slow', 'GET /blocked/slow']);
  assert.match(String(recycle.details.reason), /2 requests blocked longer than blockedRequestTime \(300 ms\)/);
  const hang = h.events(EventIds.HangReport, 'blocked');
  assert.equal(hang.length, 1, 'the hang report comes first');
  assert.ok(hang[0].seq < recycle.seq);
  const report = h.host.supervisor.crash(String(hang[0].details.report));
  assert.equal(report.error.type, 'blocked requests');
  assert.deepEqual(report.requestsInFlight, ['GET /blocked/slow', 'GET /blocked/slow']);
  // Where each waits, from the SDK's request trace: the worker's own path (after stripPrefix) and its frames.
  assert.equal(report.stackSource, 'inspector', report.notes.join('\n'));
  assert.equal(report.threads.length, 2);
  for (const t of report.threads) {
    assert.match(String(t.name), /^GET \/slow, waiting \d+ ms$/);
    assert.ok(t.frames.some((f) => f.function === 'handle' && String(f.file).endsWith('fixtures/hello.mjs')), JSON.stringify(t.frames));
  }
  // Overlapping: the stuck requests finish on the old worker while the new one serves.
  const fresh = await waitFor(() => pool('blocked').workers.find((w) => w !== old && w.state === 'ready'), 15_000, 'the replacement ready');
  const r = await get(`${h.url}/blocked/`);
  assert.equal(r.status, 200);
  assert.match(r.body, new RegExp(`pid ${fresh.pid}`));
  for (const s of await Promise.all(stuck)) assert.equal(s.status, 200);
});

test('poison: a request in hand at 2 worker deaths is answered 502 and not retried; the event and report name it; the deaths count once', async () => {
  await get(`${h.url}/poison/`);
  const r = await get(`${h.url}/poison/crash`);
  assert.equal(r.status, 502);
  assert.match(r.body, /not tried again/);
  const e = await h.waitForEvent(EventIds.PoisonRequest, 'poison');
  assert.match(e.message, /GET \/poison\/crash was in hand at 2 worker deaths/);
  const crashes = await h.waitForEvent(EventIds.WorkerCrashed, 'poison', 10_000, 2);
  assert.match(crashes.message, /GET \/poison\/crash was in hand at 2 worker deaths/);
  assert.equal(h.events(EventIds.WorkerCrashed, 'poison').length, 2, 'never a third try');
  assert.equal(pool('poison').inspect().recentFailures, 1, 'two deaths of one request count once');
  await h.waitForEvent(EventIds.CrashReport, 'poison', 20_000, 2);
  const bucket = await waitFor(() => h.host.supervisor.crashes('poison').find((b) => b.poisonRequests.includes('GET /poison/crash')), 5000, 'a bucket recording the poison request');
  assert.ok(bucket.count >= 1);
  const row = (await accessRows()).find((x) => x['cs-uri-stem'] === '/poison/crash');
  assert.equal(row?.['sc-status'], '502');
  assert.equal(row?.['s-reason'], 'PoisonRequest');
  assert.equal((await get(`${h.url}/poison/`)).status, 200, 'the pool goes on');
});

test('a worker that reports unhealthy within startupTimeLimit of ready counts as a failure: sick from every start, the pool ends in rapid-fail', async () => {
  await get(`${h.url}/sick/`);
  const first = await get(`${h.url}/sick/unhealthy`);
  assert.equal(first.status, 200);
  const e = await h.waitForEvent(EventIds.UnhealthyAtStart, 'sick');
  assert.equal(e.details.reason, 'asked by /unhealthy');
  await h.waitForEvent(EventIds.RecycleUnhealthy, 'sick');
  assert.equal(pool('sick').inspect().recentFailures, 1);
  await waitFor(() => pool('sick').workers.some((w) => w.state === 'ready' && w.id !== e.worker), 15_000, 'the replacement ready');
  await get(`${h.url}/sick/unhealthy`);
  await h.waitForEvent(EventIds.RapidFailStopped, 'sick');
  const r = await get(`${h.url}/sick/`);
  assert.equal(r.status, 503);
  assert.match(r.body, /AppOffline/);
});

test('the other pool served every request meanwhile', async () => {
  const s = await steady.stop();
  assert.equal(s.failed, 0, s.failures.join('\n'));
  assert.ok(s.ok > 20, `${s.ok} served`);
});
