import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from './latency-histogram.ts';
import { QuantileSketch } from './quantile-sketch.ts';
import { RequestHistory, MAX_MARKS } from './history.ts';
import { RequestStats, NO_POOL } from './request-stats.ts';
import { EventCounters, markKindOf } from './event-counters.ts';
import type { ObservedRequest } from './observed-request.ts';
import type { PaddockEvent } from '../../events/event-log.ts';

function rec(pool: string | null, status: number, totalMs: number, extra: Partial<ObservedRequest> = {}): ObservedRequest {
  return { pool, status, queueMs: -1, ttfbMs: -1, totalMs, ...extra };
}

function ev(id: number, pool: string | null, worker: string | null, details: Record<string, unknown> = {}): PaddockEvent {
  return { seq: 1, id, time: '2025-01-01T00:00:00.000Z', level: 'info', pool, worker, pid: null, message: `event ${id}`, details };
}

test('a latency histogram counts each value in the first bucket it fits, cumulative when read', () => {
  const h = new LatencyHistogram([0.001, 0.01, 0.1]);
  for (const v of [0.0005, 0.001, 0.002, 0.05, 3]) h.observe(v);
  assert.deepEqual(h.cumulative(), [2, 3, 4, 5], 'le is inclusive (Prometheus: value <= bound)');
  assert.equal(h.count, 5);
  assert.ok(Math.abs(h.sum - 3.0535) < 1e-9);
});

test('quantiles of the sketch are within 2.5 % of the exact ones', () => {
  const s = new QuantileSketch();
  assert.equal(s.quantile(0.5), null);
  const values = Array.from({ length: 10_000 }, (_, i) => 0.05 + i * 0.1); // 0.05 ms … 1000 ms, uniform
  for (const v of values) s.add(v);
  for (const q of [0.5, 0.99]) {
    const exact = values[Math.ceil(q * values.length) - 1];
    const got = s.quantile(q)!;
    assert.ok(Math.abs(got - exact) / exact < 0.025, `p${q * 100}: ${got} vs ${exact}`);
  }
  s.reset();
  assert.equal(s.count, 0);
});

test('request stats count by pool and status, and observe the timings that happened', () => {
  const stats = new RequestStats();
  stats.take([rec('web', 200, 2, { ttfbMs: 1, queueMs: 0 }), rec('web', 200, 3), rec('web', 503, 0.1), rec(null, 404, 0.05)]);
  const web = stats.pools.get('web')!;
  assert.deepEqual([...web.byCode], [[200, 2], [503, 1]]);
  assert.equal(web.total.count, 3);
  assert.equal(web.ttfb.count, 1, 'only requests that sent something have a time to first byte');
  assert.equal(web.queueWait.count, 1);
  assert.deepEqual([...stats.pools.get(NO_POOL)!.byCode], [[404, 1]]);
});

test('the history keeps one point per interval per pool, bounded to its span', () => {
  const h = new RequestHistory({ intervalMs: 1000, spanMs: 3000 });
  h.take([rec('web', 200, 10), rec('web', 200, 20), rec('web', 502, 30), rec('api', 200, 5)]);
  h.sample(1000, [{ name: 'web', rssBytes: 100 }, { name: 'api', rssBytes: null }]);
  let s = h.snapshot();
  assert.deepEqual(s.pools.web.rps, [3]);
  assert.deepEqual(s.pools.web.errorsPerSec, [1]);
  assert.ok(Math.abs(s.pools.web.p50Ms[0]! - 20) / 20 < 0.03);
  assert.deepEqual(s.pools.web.rssBytes, [100]);
  for (let t = 2000; t <= 6000; t += 1000) h.sample(t, [{ name: 'web', rssBytes: 100 }]);
  s = h.snapshot();
  assert.deepEqual(s.pools.web.t, [4000, 5000, 6000], 'three points fit in a span of 3 s');
  assert.deepEqual(s.pools.web.rps, [0, 0, 0]);
  assert.deepEqual(s.pools.web.p99Ms, [null, null, null], 'no requests, no latency');
  assert.equal(s.pools.api, undefined, 'a pool that is gone takes its history with it');
});

test('history marks are bounded and filtered by pool', () => {
  const h = new RequestHistory();
  for (let i = 0; i < MAX_MARKS + 10; i++) h.mark({ time: i, kind: 'crash', id: 5009, pool: i % 2 ? 'a' : 'b', worker: null, message: '' });
  assert.equal(h.snapshot().marks.length, MAX_MARKS);
  assert.equal(h.snapshot().marks[0].time, 10, 'the oldest go first');
  assert.ok(h.snapshot('a').marks.every((m) => m.pool === 'a'));
});

test('event counters: crashes, hangs, recycles by reason, rapid-fail stops, CPU-limit actions', () => {
  const c = new EventCounters();
  for (const e of [
    ev(5009, 'web', 'web-1'), ev(5009, 'web', 'web-2'), ev(5010, 'web', 'web-3'),
    ev(5075, 'web', 'web-4', { trigger: 'Requests' }), ev(5079, 'web', null, { trigger: 'OnDemand' }), ev(5080, 'web', 'web-5'),
    ev(5002, 'web', null), ev(5090, 'api', null, { action: 'KillW3wp' }), ev(6001, 'web', 'web-6'),
  ]) c.take(e);
  assert.equal(c.crashes.get('web'), 2);
  assert.equal(c.hangs.get('web'), 1);
  assert.deepEqual([...c.recycles.get('web')!], [['Requests', 1], ['ConfigChange', 1]], 'a pool-wide recycle event with no worker is not a recycle');
  assert.equal(c.rapidFailStops.get('web'), 1);
  assert.deepEqual([...c.cpuLimitActions.get('api')!], [['KillW3wp', 1]]);
  assert.equal(markKindOf({ id: 5009, worker: 'w' }), 'crash');
  assert.equal(markKindOf({ id: 5010, worker: 'w' }), 'hang');
  assert.equal(markKindOf({ id: 5074, worker: 'w' }), 'recycle');
  assert.equal(markKindOf({ id: 6001, worker: 'w' }), null);
});
