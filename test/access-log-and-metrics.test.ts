/**
 * The access log and /metrics against a real host: a served request, a 404, a 503 refusal and a
 * GET retried after its worker died each get one W3C line with the right status, time and pool,
 * and /metrics, scraped over the admin socket and parsed strictly, counts exactly that traffic.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { startTestHost, get, helloPool, waitFor, type TestHost } from './helpers/test-host.ts';
import { readW3c } from './helpers/w3c-reader.ts';
import { parseProm } from './helpers/prom-text.ts';
import { EventIds } from '../src/events/event-ids.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/web', pool: 'web' }, { path: '/off', pool: 'off' }] }],
    pools: { web: helloPool({ failure: { rapidFailProtectionMaxCrashes: 100 } }), off: helloPool({ autoStart: false }) },
    logs: { includeQueryStrings: true },
  });
});
after(() => h?.stop());

function scrape(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(h.dir, 'admin.sock'), path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const UA = { 'user-agent': 'paddock-test/1.0 (access log)' };

test('every request gets a W3C line with its status, time and pool, and /metrics counts the same traffic', async () => {
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) assert.equal((await get(`${h.url}/web/?n=${i}`, { headers: UA })).status, 200);
  assert.equal((await get(`${h.url}/nowhere`, { headers: UA })).status, 404);
  assert.equal((await get(`${h.url}/off/x`, { headers: UA })).status, 503);

  // A GET in hand when its worker dies is retried on the replacement: the client sees one 200.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const victim = h.host.supervisor.workers('web').find((w) => w.state === 'ready')!;
  const slow = get(`${h.url}/web/slow?ms=1500`, { agent, headers: UA });
  await waitFor(() => h.host.supervisor.workers('web').some((w) => w.inFlight === 1), 5_000, 'the slow request in flight');
  process.kill(victim.pid!, 'SIGKILL');
  assert.equal((await slow).status, 200);
  agent.destroy();
  await h.waitForEvent(EventIds.WorkerCrashed, 'web');
  await h.host.supervisor.accessLog.flush();

  const { directives, rows } = readW3c(readFileSync(join(h.dir, 'logs', 'access.log'), 'utf8'));
  assert.ok(directives.Fields?.includes('s-pool'));
  assert.equal(rows.length, 8, rows.map((r) => JSON.stringify(r)).join('\n'));
  for (const r of rows) {
    const at = Date.parse(`${r.date}T${r.time}Z`);
    assert.ok(at >= Math.floor(t0 / 1000) * 1000 && at <= Date.now(), `time ${r.date} ${r.time} is the request's`);
    assert.equal(r['c-ip'], '127.0.0.1');
    assert.equal(r['s-ip'], '127.0.0.1');
    assert.equal(r['s-port'], String(h.port));
    assert.equal(r['cs(User-Agent)'], 'paddock-test/1.0+(access+log)');
  }
  const served = rows.filter((r) => r['cs-uri-stem'] === '/web/');
  assert.equal(served.length, 5);
  assert.deepEqual(served.map((r) => [r['cs-method'], r['sc-status'], r['sc-substatus'], r['s-pool'], r['s-reason']]), Array(5).fill(['GET', '200', '0', 'web', '-']));
  assert.deepEqual(served.map((r) => r['cs-uri-query']), ['n=0', 'n=1', 'n=2', 'n=3', 'n=4'], 'query strings, as configured');
  assert.match(served[0]['s-worker'], /^web-\d+$/);
  assert.match(served[0]['time-taken'], /^\d+$/);

  const notFound = rows.find((r) => r['cs-uri-stem'] === '/nowhere')!;
  assert.deepEqual([notFound['sc-status'], notFound['s-pool'], notFound['s-worker'], notFound['s-reason']], ['404', '-', '-', 'NotFound']);
  const refused = rows.find((r) => r['cs-uri-stem'] === '/off/x')!;
  assert.deepEqual([refused['sc-status'], refused['s-pool'], refused['s-worker'], refused['s-reason']], ['503', 'off', '-', 'Disabled']);
  const retried = rows.find((r) => r['cs-uri-stem'] === '/web/slow')!;
  assert.equal(retried['sc-status'], '200', 'the client never saw the crash');
  assert.equal(retried['s-pool'], 'web');
  assert.notEqual(retried['s-worker'], victim.id, 'the replacement answered');
  assert.ok(Number(retried['time-taken']) >= 1500, `time-taken covers the retry (${retried['time-taken']} ms)`);

  const m = parseProm(await scrape());
  assert.equal(m.value('paddock_requests_total', { pool: 'web', code: '200' }), 6);
  assert.equal(m.value('paddock_requests_total', { pool: '', code: '404' }), 1);
  assert.equal(m.value('paddock_requests_total', { pool: 'off', code: '503' }), 1);
  assert.equal(m.samples('paddock_requests_total').reduce((n, s) => n + s.value, 0), 8, 'one count per request, no more');
  assert.equal(m.value('paddock_request_duration_seconds_count', { pool: 'web' }), 6);
  assert.equal(m.value('paddock_time_to_first_byte_seconds_count', { pool: 'web' }), 6);
  assert.equal(m.value('paddock_queue_wait_seconds_count', { pool: 'web' }), 6);
  assert.ok(m.value('paddock_request_duration_seconds_bucket', { pool: 'web', le: '1' })! <= 5, 'the retried GET took longer than a second');
  assert.ok(m.value('paddock_request_duration_seconds_sum', { pool: 'web' })! >= 1.5);
  assert.equal(m.value('paddock_pool_requests_total', { pool: 'web' }), 7, 'dispatches: the retried GET went to two workers');
  assert.equal(m.value('paddock_worker_crashes_total', { pool: 'web' }), 1);
  assert.equal(m.value('paddock_pool_refused_requests_total', { pool: 'off', reason: 'Disabled' }), 1);
  assert.equal(m.value('paddock_pool_started', { pool: 'off', stop_reason: 'admin' }), 0);
  await waitFor(async () => parseProm(await scrape()).value('paddock_workers', { pool: 'web', state: 'ready', health: 'healthy' }) === 1, 5_000, 'the replacement ready');
  const again = parseProm(await scrape());
  assert.ok(again.value('paddock_pool_resident_bytes', { pool: 'web' })! > 0);
  assert.ok(again.value('paddock_pool_cpu_seconds_total', { pool: 'web' })! > 0);
  assert.ok(again.value('paddock_host_event_loop_delay_max_seconds')! >= 0);
  assert.equal(typeof again.value('paddock_front_door_connections'), 'number');
  for (const name of ['paddock_request_duration_seconds', 'paddock_time_to_first_byte_seconds', 'paddock_queue_wait_seconds', 'paddock_worker_hangs_total', 'paddock_worker_recycles_total', 'paddock_rapid_fail_stops_total', 'paddock_cpu_limit_actions_total']) {
    assert.ok(again.families.has(name), `${name} is exposed`);
  }
});

test('a recycle is counted by reason', async () => {
  await h.host.supervisor.recyclePool('web');
  await h.waitForEvent(EventIds.RecycleAdmin, 'web');
  const m = parseProm(await scrape());
  assert.equal(m.value('paddock_worker_recycles_total', { pool: 'web', reason: 'OnDemand' }), 1);
});

test('every metric docs/metrics.md lists and the Grafana dashboard queries is exposed, and every exposed one is documented', async () => {
  const exposed = new Set(parseProm(await scrape()).families.keys());
  const family = (n: string): string => n.replace(/_(bucket|sum|count)$/, '');
  const doc = readFileSync(join(import.meta.dirname, '../docs/metrics.md'), 'utf8');
  const documented = new Set<string>();
  for (const m of doc.matchAll(/`(paddock_[a-z0-9_]+)`(?:, `(_[a-z0-9_]+)`)?(?:, `(_[a-z0-9_]+)`)?/g)) {
    documented.add(m[1]);
    // "paddock_x_p50_seconds, `_p99_seconds`, `_max_seconds`": the siblings share the stem.
    const stem = m[1].replace(/_p50_seconds$/, '');
    for (const sib of [m[2], m[3]]) if (sib) documented.add(stem + sib);
  }
  for (const n of documented) assert.ok(exposed.has(family(n)), `${n} is documented but not exposed`);
  for (const n of exposed) assert.ok(documented.has(n), `${n} is exposed but not in docs/metrics.md`);
  const grafana = readFileSync(join(import.meta.dirname, '../examples/grafana-dashboard.json'), 'utf8');
  const queried = new Set([...grafana.matchAll(/paddock_[a-z0-9_]+/g)].map((m) => family(m[0])));
  assert.ok(queried.size >= 15);
  for (const n of queried) assert.ok(exposed.has(n), `the Grafana dashboard queries ${n}, which is not exposed`);
  JSON.parse(grafana);
});
