/**
 * The pool core's limits on requests, with fake workers and the fake clock: the queue's wait
 * limit, load shedding by a per-worker concurrency limit, the response timeout, blocked requests
 * as a health signal, poison requests and a worker that is unhealthy from its start. Time is the
 * clock's: "nothing happened for a while" is a tick.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolCore, type MemoryProbe } from './pool-core.ts';
import { EffectsRecorder, FakeClock, FakeWaiter, FakeWorker, endOn, holdRequest, makeReady, poolConfig, type FakeRequest } from '../../test/helpers/pool-fakes.ts';
import type { PoolConfig } from '../config/types.ts';

const noMemory: MemoryProbe<FakeWorker> = { virtualBytes: () => null, privateBytes: () => null };

function setup(config: PoolConfig) {
  const clock = new FakeClock();
  const fx = new EffectsRecorder(clock);
  const core = new PoolCore<FakeWorker, FakeRequest>(config, clock.read, fx);
  assert.equal(core.start(), true);
  core.ensureWorkers();
  const ready = (w: FakeWorker): void => {
    makeReady(w, clock.now);
    core.ready(w);
  };
  /** A request now: granted at once (it is then held by its worker), or the waiter queued or refused. */
  const request = (label = 'GET /'): FakeWaiter => {
    const waiter = new FakeWaiter();
    const r = core.acquire(waiter);
    if (r instanceof FakeWorker) {
      waiter.granted = r;
      holdRequest(r, label, clock.now);
    } else if (r !== null) {
      waiter.refused = r;
    }
    return waiter;
  };
  const done = (w: FakeWorker): void => {
    w.held.shift();
    endOn(w, clock.now);
    core.released(w);
  };
  const tick = (): void => core.tick(clock.now, noMemory, (w) => w.held);
  return { clock, fx, core, ready, request, done, tick };
}

test('queueTimeout: a request queued longer is refused 503 QueueFull on the next tick, and the event counts it', () => {
  const { clock, fx, core, request, tick } = setup(poolConfig({ processModel: { queueTimeout: 500 } }));
  assert.deepEqual(fx.take(), []);
  const first = request();
  assert.deepEqual(fx.take(), ['start w1'], 'queued, a worker starts on demand');
  clock.advance(300);
  const second = request();
  clock.advance(200);
  tick();
  assert.deepEqual(first.refused, { reason: 'QueueFull', reset: false });
  assert.equal(second.refused, null, 'the younger one still waits');
  assert.deepEqual(fx.take(), ['queue timeout 1 after 500 ms']);
  assert.equal(core.queue.length, 1);
  assert.deepEqual(core.refused, { QueueFull: 1 });
  clock.advance(300);
  tick();
  assert.deepEqual(second.refused, { reason: 'QueueFull', reset: false });
  core.verifyInvariants('p');
});

test('queueTimeout 0: a request waits as long as it takes', () => {
  const { clock, fx, request, tick } = setup(poolConfig({ processModel: { queueTimeout: 0 } }));
  const w = request();
  clock.advance(10 * 60_000);
  tick();
  assert.equal(w.refused, null);
  assert.deepEqual(fx.take(), ['start w1']);
});

test('maxConcurrentRequestsPerWorker: past the limit requests queue though the worker is ready, and queueLength refuses the excess at once', () => {
  const { fx, core, ready, request, done } = setup(poolConfig({ queueLength: 1, processModel: { maxConcurrentRequestsPerWorker: 2 } }));
  request();
  const w1 = fx.started[0];
  ready(w1);
  fx.take();
  const b = request();
  const c = request();
  assert.equal(w1.inFlight, 2);
  assert.equal(b.granted, w1);
  assert.equal(c.granted, null, 'at the limit: queued');
  assert.equal(core.queue.length, 1);
  core.verifyInvariants('p');
  const d = request();
  assert.deepEqual(d.refused, { reason: 'QueueFull', reset: false }, 'the queue is full: 503 at once, with a worker ready');
  done(w1);
  assert.equal(c.granted, w1, 'a request ended: the queued one goes to the worker');
  assert.deepEqual(fx.take(), ['grant w1']);
  core.verifyInvariants('p');
});

test('maxConcurrentRequestsPerWorker in a web garden: a saturated worker grows the garden', () => {
  const { fx, ready, request } = setup(poolConfig({ processModel: { maxProcesses: 2, maxConcurrentRequestsPerWorker: 1 } }));
  request();
  ready(fx.started[0]);
  fx.take();
  const second = request();
  const third = request();
  assert.deepEqual(fx.take(), ['start w2'], 'every worker is at its limit: one more starts');
  ready(fx.started[1]);
  assert.equal(second.granted, fx.started[1]);
  assert.equal(third.granted, null, 'both at their limit: it waits');
});

test('requestTimeout: requests without a response head past the limit are answered 504; one that answered is left alone', () => {
  const { clock, fx, ready, request, tick } = setup(poolConfig({ processModel: { requestTimeout: 1000 } }));
  request();
  const w1 = fx.started[0];
  ready(w1);
  fx.take();
  request('GET /slow');
  const streaming = request('GET /stream');
  clock.advance(400);
  request('GET /young');
  w1.held[1].responseStarted = true;
  void streaming;
  clock.advance(599);
  tick();
  assert.deepEqual(fx.take(), [], 'not yet');
  clock.advance(1);
  tick();
  assert.deepEqual(fx.take(), ['504 w1 GET /slow after 1000 ms']);
  assert.deepEqual(w1.held.map((r) => r.label), ['GET /stream', 'GET /young']);
  clock.advance(400);
  tick();
  assert.deepEqual(fx.take(), ['504 w1 GET /young after 1000 ms']);
});

test('blockedRequestLimit: a worker holding N requests older than blockedRequestTime is reported once', () => {
  const { clock, fx, ready, request, tick } = setup(poolConfig({ processModel: { requestTimeout: 0 }, failure: { blockedRequestLimit: 2, blockedRequestTime: 500 } }));
  request();
  const w1 = fx.started[0];
  ready(w1);
  fx.take();
  request('GET /hang/1');
  clock.advance(100);
  request('GET /hang/2');
  clock.advance(450);
  tick();
  assert.deepEqual(fx.take(), [], 'only one is old enough');
  clock.advance(50);
  tick();
  assert.deepEqual(fx.take(), ['blocked w1 GET /hang/1, GET /hang/2']);
  clock.advance(1000);
  tick();
  assert.deepEqual(fx.take(), [], 'flagged once: its hang report and recycle are on their way');
});

test('blockedRequestLimit 0: stuck requests are no health signal', () => {
  const { clock, fx, ready, request, tick } = setup(poolConfig({ processModel: { requestTimeout: 0 } }));
  request();
  ready(fx.started[0]);
  fx.take();
  for (let i = 0; i < 5; i++) request(`GET /${i}`);
  clock.advance(24 * 3600_000);
  tick();
  assert.deepEqual(fx.take(), []);
});

test('poison: the death a poison request causes the second time does not count toward rapid-fail', () => {
  const { fx, core, ready } = setup(poolConfig({ startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 2 } }));
  const w1 = fx.started[0];
  ready(w1);
  w1.state = 'stopped';
  core.exited(w1, { expected: false, stateBefore: 'ready' });
  assert.equal(core.recentFailures(), 1, 'the first death is a crash');
  const w2 = fx.started[1];
  ready(w2);
  w2.state = 'stopped';
  core.exited(w2, { expected: false, stateBefore: 'ready' }, true);
  assert.equal(core.recentFailures(), 1, 'the second death of the same request counts once');
  assert.equal(core.state, 'started');
  const w3 = fx.started[2];
  ready(w3);
  w3.state = 'stopped';
  core.exited(w3, { expected: false, stateBefore: 'ready' });
  assert.equal(core.state, 'stopping', 'another crash trips rapid-fail as before');
});

test('poison: a worker killed for a missed ping with a poison request in hand does not count again', () => {
  const { fx, core, ready, request } = setup(poolConfig({ failure: { rapidFailProtectionMaxCrashes: 1 } }));
  request();
  const w1 = fx.started[0];
  ready(w1);
  w1.hung = true;
  core.missedPing(w1, 0, true);
  assert.equal(core.recentFailures(), 0);
  assert.equal(core.state, 'started');
  core.missedPing(w1, 0);
  assert.equal(core.state, 'stopping');
});

test('unhealthy within startupTimeLimit of ready counts as a failure; a worker sick from every start ends in rapid-fail', () => {
  const { clock, fx, core, ready, request } = setup(poolConfig({ processModel: { startupTimeLimit: 1000 }, failure: { rapidFailProtectionMaxCrashes: 2 } }));
  request();
  const w1 = fx.started[0];
  ready(w1);
  fx.take();
  clock.advance(200);
  core.reportedUnhealthy(w1, 'db unreachable', {});
  assert.deepEqual(fx.take(), ['unhealthy at start w1 (db unreachable) 200 ms after ready', 'recycle event w1 IsapiUnhealthy', 'start w2 for w1']);
  assert.equal(core.recentFailures(), 1);
  const w2 = fx.started[1];
  ready(w2);
  fx.take();
  clock.advance(100);
  core.reportedUnhealthy(w2, 'db unreachable', {});
  assert.equal(core.state, 'stopping');
  assert.match(fx.take().join('\n'), /unhealthy at start w2[\s\S]*rapid-fail stop \(unhealthyAtStart, unhealthyAtStart\)/);
});

test('unhealthy long after ready is a plain recycle, no failure', () => {
  const { clock, fx, core, ready, request } = setup(poolConfig({ processModel: { startupTimeLimit: 1000 } }));
  request();
  const w1 = fx.started[0];
  ready(w1);
  fx.take();
  clock.advance(5000);
  core.reportedUnhealthy(w1, 'leak', { heapMB: 900 });
  assert.deepEqual(fx.take(), ['recycle event w1 IsapiUnhealthy', 'start w2 for w1']);
  assert.equal(core.recentFailures(), 0);
});
