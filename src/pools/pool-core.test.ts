/**
 * The pool core without processes, sockets or sleeps: fake workers, a fake clock, and a recorder
 * of every decision. Each test is a scenario the scenario tests under test/ run with real workers;
 * here the time is the clock's, so "nothing happens for a while" is a tick, not a wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolCore, type MemoryProbe } from './pool-core.ts';
import { EffectsRecorder, FakeClock, FakeWaiter, FakeWorker, endOn, makeReady, poolConfig } from '../../test/helpers/pool-fakes.ts';
import type { PoolConfig } from '../config/types.ts';

const noMemory: MemoryProbe<FakeWorker> = { virtualBytes: () => null, privateBytes: () => null };

function setup(config: PoolConfig = poolConfig()) {
  const clock = new FakeClock();
  const fx = new EffectsRecorder(clock);
  const core = new PoolCore<FakeWorker>(config, clock.read, fx);
  const started = (): void => {
    assert.equal(core.start(), true);
    core.ensureWorkers();
  };
  /** Marks `w` ready as its process would, and tells the core. */
  const ready = (w: FakeWorker): void => {
    makeReady(w, clock.now);
    core.ready(w);
  };
  /** `w` exited; `expected` when the host asked for it. */
  const exited = (w: FakeWorker, expected: boolean): void => {
    const stateBefore = w.state;
    w.state = 'stopped';
    core.exited(w, { expected, stateBefore });
  };
  /** A request now: the worker granted at once, or the waiter (queued or refused). */
  const request = (exclude: FakeWorker | null = null): FakeWaiter => {
    const waiter = new FakeWaiter(exclude);
    const r = core.acquire(waiter);
    if (r instanceof FakeWorker) {
      waiter.granted = r;
      r.inFlight++;
      r.requests++;
    } else if (r !== null) {
      waiter.refused = r;
    }
    return waiter;
  };
  const done = (w: FakeWorker): void => {
    endOn(w, clock.now);
    core.released(w);
  };
  return { clock, fx, core, started, ready, exited, request, done };
}

test('a stopped pool refuses: 503 Disabled by an administrator, AppOffline after rapid-fail; TcpLevel resets instead', () => {
  const { core, request } = setup();
  assert.deepEqual(request().refused, { reason: 'Disabled', reset: false });
  const tcp = setup(poolConfig({ failure: { loadBalancerCapabilities: 'TcpLevel' } }));
  assert.deepEqual(tcp.request().refused, { reason: 'Disabled', reset: true });
  assert.deepEqual(tcp.core.refusal('QueueFull'), { reason: 'QueueFull', reset: false }, 'a full queue is a 503 whatever the capabilities');
  assert.deepEqual(core.refused, { Disabled: 1 });
});

test('on demand: the first request queues and starts one worker; it is granted when the worker is ready', () => {
  const { core, fx, started, ready, request } = setup();
  started();
  assert.deepEqual(fx.take(), [], 'an OnDemand pool starts nothing by itself');
  const first = request();
  const second = request();
  assert.equal(first.granted, null);
  assert.deepEqual(fx.take(), ['start w1'], 'one start however many wait');
  assert.equal(core.queue.length, 2);
  ready(fx.started[0]);
  assert.deepEqual(fx.take(), ['grant w1', 'grant w1']);
  assert.equal(first.granted, fx.started[0]);
  assert.equal(second.granted, fx.started[0]);
  assert.equal(core.requests, 2);
  core.verifyInvariants('p');
});

test('a full queue refuses with QueueFull and counts it', () => {
  const { core, started, request } = setup(poolConfig({ queueLength: 2 }));
  started();
  request();
  request();
  assert.deepEqual(request().refused, { reason: 'QueueFull', reset: false });
  assert.deepEqual(core.refused, { QueueFull: 1 });
  assert.equal(core.available, false, 'a full queue is not available to a balancer');
});

test('least outstanding requests, healthy workers first; a retry does not go back to the worker that failed it', () => {
  const { fx, started, ready, request, done } = setup(poolConfig({ processModel: { maxProcesses: 2 } }));
  started();
  request();
  ready(fx.started[0]);
  request(); // the garden grows: w2 starts
  ready(fx.started[1]);
  const [w1, w2] = fx.started;
  fx.take();
  assert.deepEqual([w1.inFlight, w2.inFlight], [2, 0]);
  assert.equal(request().granted, w2, 'the one with fewer requests');
  w2.health = 'unhealthy';
  assert.equal(request().granted, w1, 'a healthy one before an unhealthy one, busy as it is');
  assert.equal(request(w1).granted, w2, 'excluded: the other one');
  done(w1);
  done(w1);
  done(w1);
  assert.equal(request(w2).granted, w1);
});

test('a web garden grows one worker at a time while requests come, up to maxProcesses', () => {
  const { fx, started, ready, request } = setup(poolConfig({ processModel: { maxProcesses: 3 } }));
  started();
  request();
  request();
  assert.deepEqual(fx.take(), ['start w1'], 'not a second start while one is starting');
  ready(fx.started[0]);
  fx.take();
  request();
  assert.deepEqual(fx.take(), ['start w2']);
  request();
  assert.deepEqual(fx.take(), [], 'w2 is still starting');
  ready(fx.started[1]);
  request();
  assert.deepEqual(fx.take(), ['start w3']);
  ready(fx.started[2]);
  request();
  assert.deepEqual(fx.take(), [], 'at maxProcesses');
});

test('AlwaysRunning starts maxProcesses workers with no request, and brings a crashed one back', () => {
  const { core, fx, started, ready, exited } = setup(poolConfig({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }));
  started();
  assert.deepEqual(fx.take(), ['start w1', 'start w2']);
  ready(fx.started[0]);
  ready(fx.started[1]);
  exited(fx.started[0], false);
  assert.deepEqual(fx.take(), ['start w3']);
  assert.equal(core.requests, 0);
});

test('an administrator\'s stop is kept: no worker comes back on exit or tick until the pool is started', () => {
  const { core, fx, clock, started, ready, exited } = setup(poolConfig({ startMode: 'AlwaysRunning' }));
  started();
  const [w1] = fx.started;
  ready(w1);
  fx.take();
  assert.equal(core.stop('admin'), true);
  exited(w1, true);
  core.tick(clock.advance(60_000), noMemory);
  assert.deepEqual(fx.take(), [], 'nothing started while stopping');
  core.stopped();
  core.tick(clock.advance(60_000), noMemory);
  assert.deepEqual(fx.take(), [], 'nothing started while stopped');
  assert.equal(core.state, 'stopped');
  core.verifyInvariants('p');
  started();
  assert.deepEqual(fx.take(), ['start w2']);
});

test('a worker that dies at start backs off: 100 ms doubling to 5 s; a ready one resets the count', () => {
  const { core, fx, started, ready, exited, request } = setup(poolConfig({ failure: { rapidFailProtection: false } }));
  started();
  request();
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const w = fx.started.at(-1)!;
    exited(w, false);
    delays.push(fx.retryDelays.at(-1)!);
    assert.equal(fx.take().at(-1), `retry in ${delays.at(-1)} ms`, 'no start until the delay is over');
    core.retryStarts();
    assert.match(fx.take().join(), /^start w\d+$/);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  ready(fx.started.at(-1)!);
  fx.take();
  exited(fx.started.at(-1)!, false);
  assert.deepEqual(fx.take(), [], 'on demand, with nothing waiting, nothing starts');
  request();
  assert.deepEqual(fx.take(), ['start w10'], 'and the next request starts one at once: the count was reset');
});

test('rapid-fail: the third failure within the interval stops the pool (5002) and refuses its queue as AppOffline', () => {
  const { core, fx, clock, started, ready, exited, request } = setup(poolConfig({
    startMode: 'AlwaysRunning',
    failure: { rapidFailProtectionMaxCrashes: 3, rapidFailProtectionInterval: 60_000 },
  }));
  started();
  ready(fx.started[0]);
  exited(fx.started[0], false); // 1, and a replacement at once (it had been ready: no back-off)
  clock.advance(61_000); // that one falls out of the window
  ready(fx.started[1]);
  exited(fx.started[1], false); // the window holds 1
  ready(fx.started[2]);
  assert.equal(core.failure('pingMissed'), false); // 2
  const waiting = new FakeWaiter();
  core.queue.push(waiting);
  fx.take();
  exited(fx.started[2], false); // 3: trips
  assert.deepEqual(fx.tripped?.map((f) => f.kind), ['crash', 'pingMissed', 'crash']);
  assert.deepEqual(fx.take(), ['rapid-fail stop (crash, pingMissed, crash)'], 'and no replacement');
  assert.equal(core.state, 'stopping');
  assert.equal(core.stopReason, 'rapidFail');
  assert.deepEqual(waiting.refused, { reason: 'AppOffline', reset: false });
  core.stopped();
  assert.deepEqual(request().refused, { reason: 'AppOffline', reset: false });
  assert.equal(core.start(), true, 'an administrator may start it again');
  assert.equal(core.recentFailures(), 0, 'with the failures forgotten');
});

test('after rapid-fail protection stopped an AlwaysRunning pool, neither exits nor ticks start a worker', () => {
  const { core, fx, clock, started, exited } = setup(poolConfig({ startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 3 } }));
  started();
  for (let i = 0; i < 3; i++) {
    exited(fx.started.at(-1)!, false);
    if (core.state === 'started') core.retryStarts();
  }
  assert.equal(core.state, 'stopping');
  assert.equal(fx.started.length, 3, 'three starts, three crashes');
  core.stopped();
  core.tick(clock.advance(10_000), noMemory);
  core.retryStarts();
  assert.equal(fx.started.length, 3, 'and no more');
});

test('requests limit: the worker that served periodicRestart.requests is recycled once (overlapping): replacement first, then the old one drains', () => {
  const { core, fx, started, ready, request, done } = setup(poolConfig({ recycling: { periodicRestart: { requests: 3 } } }));
  started();
  request();
  const [w1] = fx.started;
  ready(w1);
  done(w1);
  request();
  done(w1);
  request();
  fx.take();
  done(w1); // the third ends
  assert.deepEqual(fx.take(), ['recycle event w1 Requests', 'start w2 for w1']);
  assert.equal(core.isRecycling(w1), true);
  request();
  done(w1);
  assert.deepEqual(fx.take(), [], 'one recycle per worker, however many requests follow');
  assert.equal(w1.state, 'ready', 'the old one serves until the replacement is ready');
  ready(fx.started[1]);
  assert.deepEqual(fx.take(), ['drain w1 (recycled)']);
  assert.equal(request().granted, fx.started[1]);
});

test('a replacement that dies before it is ready leaves the old worker serving (5093)', () => {
  const { core, fx, started, ready, exited, request } = setup();
  started();
  request();
  const [w1] = fx.started;
  ready(w1);
  fx.take();
  core.recycle('OnDemand', { reason: 'admin' });
  assert.deepEqual(fx.take(), ['recycle event w1 OnDemand', 'start w2 for w1']);
  exited(fx.started[1], false);
  assert.deepEqual(fx.take().slice(0, 1), ['5093 w1 kept, w2 failed']);
  assert.equal(w1.state, 'ready');
  assert.equal(core.isRecycling(w1), false, 'it may be recycled again');
  assert.equal(request().granted, w1);
});

test('disallowOverlappingRotation: the old worker drains first and holds its slot; the replacement starts once it has exited', () => {
  const { core, fx, started, ready, exited, request } = setup(poolConfig({ recycling: { disallowOverlappingRotation: true } }));
  started();
  request();
  const [w1] = fx.started;
  ready(w1);
  fx.take();
  core.recycle('OnDemand');
  assert.deepEqual(fx.take(), ['recycle event w1 OnDemand', 'drain w1 (recycled (OnDemand))']);
  const waiting = request();
  assert.equal(waiting.granted, null, 'requests queue while the old worker drains');
  assert.deepEqual(fx.take(), [], 'and start nothing: the draining worker holds the slot');
  exited(w1, true);
  assert.deepEqual(fx.take(), ['start w2']);
  ready(fx.started[1]);
  assert.equal(waiting.granted, fx.started[1]);
});

test('a web garden recycles one worker at a time: never fewer than N-1 ready', () => {
  const { core, fx, started, ready } = setup(poolConfig({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 3 } }));
  started();
  for (const w of [...fx.started]) ready(w);
  fx.take();
  core.recycle('ConfigChange', { reason: 'the configuration changed' });
  const readyCount = (): number => core.workers.filter((w) => w.state === 'ready').length;
  const order: string[] = [];
  for (let round = 0; round < 3; round++) {
    const log = fx.take().filter((l) => l.startsWith('start') || l.startsWith('drain'));
    order.push(...log);
    assert.equal(log.filter((l) => l.startsWith('start')).length, 1, `round ${round}: one replacement at a time`);
    assert.ok(readyCount() >= 2, `round ${round}: ${readyCount()} ready`);
    const replacement = fx.started.at(-1)!;
    ready(replacement);
    assert.ok(fx.log.some((l) => l.startsWith('drain')), `round ${round}: the old worker drains once its replacement is ready`);
  }
  assert.deepEqual(order.filter((l) => l.startsWith('start')), ['start w4 for w1', 'start w5 for w2', 'start w6 for w3']);
});

test('a missed ping: the hung worker takes no request, a replacement starts at once, and its stacks are captured before the kill', () => {
  const { core, fx, started, ready, request } = setup();
  started();
  request();
  const [w1] = fx.started;
  ready(w1);
  fx.take();
  w1.hung = true;
  w1.health = 'unhealthy';
  const plan = core.missedPing(w1, 0);
  assert.deepEqual(plan, { capture: true, dispose: 'kill', replace: true, orphansToKill: 0 });
  assert.deepEqual(fx.take(), ['start w2'], 'not on the next request: now');
  const retry = request(w1);
  assert.equal(retry.granted, null, 'the retry waits for the replacement');
  ready(fx.started[1]);
  assert.equal(retry.granted, fx.started[1]);
  assert.equal(core.recentFailures(), 1, 'a missed ping is a failure');
});

test('a missed ping that trips rapid-fail protection starts no replacement', () => {
  const { core, fx, started, ready, request } = setup(poolConfig({ failure: { rapidFailProtectionMaxCrashes: 1 } }));
  started();
  request();
  ready(fx.started[0]);
  fx.take();
  const plan = core.missedPing(fx.started[0], 0);
  assert.equal(plan.replace, false);
  assert.deepEqual(fx.take(), ['rapid-fail stop (pingMissed)']);
});

const idleCases = [
  { name: 'Terminate, OnDemand: shut down', config: {}, busy: false, expect: ['idle shutdown w1 after 1200000 ms'] },
  { name: 'Suspend: frozen', config: { processModel: { idleTimeoutAction: 'Suspend' as const } }, busy: false, expect: ['suspend w1 after 1200000 ms'] },
  { name: 'AlwaysRunning: kept (IIS applies the idle timeout to OnDemand pools)', config: { startMode: 'AlwaysRunning' as const }, busy: false, expect: [] },
  { name: 'a request in flight: not idle', config: {}, busy: true, expect: [] },
  { name: 'idleTimeout 0: never', config: { processModel: { idleTimeout: 0 } }, busy: false, expect: [] },
];

for (const c of idleCases) {
  test(`idle timeout (20 min by default), ${c.name}`, () => {
    const { core, fx, clock, started, ready, request, done } = setup(poolConfig(c.config));
    started();
    if (c.config.startMode !== 'AlwaysRunning') request();
    const [w1] = fx.started;
    ready(w1);
    if (!c.busy && w1.inFlight > 0) done(w1);
    fx.take();
    core.tick(clock.advance(20 * 60_000 - 1), noMemory);
    assert.deepEqual(fx.take(), [], 'not a millisecond early');
    core.tick(clock.advance(1), noMemory);
    assert.deepEqual(fx.take(), c.expect.map((l) => l.replace('1200000', String(20 * 60_000))));
  });
}

test('the tick recycles by age (with the worker\'s stable share of the jitter) and by memory, once each', () => {
  const memory = new Map<string, number>();
  const probe: MemoryProbe<FakeWorker> = { virtualBytes: (w) => memory.get(w.id) ?? null, privateBytes: () => null };
  const { fx, clock, started, ready, core } = setup(poolConfig({
    startMode: 'AlwaysRunning',
    processModel: { maxProcesses: 2, idleTimeout: 0 },
    recycling: { periodicRestart: { time: 60_000, memory: 1_000 } },
  }));
  started();
  const [w1, w2] = fx.started;
  ready(w1);
  ready(w2);
  fx.take();
  memory.set('w2', 2_000);
  core.tick(clock.advance(1_000), probe);
  assert.deepEqual(fx.take(), ['recycle event w2 Memory', 'start w3 for w2']);
  core.tick(clock.advance(1_000), probe);
  assert.deepEqual(fx.take(), [], 'a worker being recycled is not recycled twice');
  core.tick(clock.advance(58_000), probe);
  assert.deepEqual(fx.take(), ['recycle event w1 Time'], 'w1 is due by age, and waits its turn in the queue');
});

test('verifyInvariants catches a request queued beside a free worker', () => {
  const { core, fx, started, ready, request } = setup();
  started();
  request();
  ready(fx.started[0]);
  core.verifyInvariants('p');
  core.queue.push(new FakeWaiter());
  assert.throws(() => core.verifyInvariants('p'), /requests queued while a ready worker is free/);
});

test('a start that cannot happen (invalid identity) ends the AlwaysRunning loop after one try', () => {
  const { fx, core } = setup(poolConfig({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 3 } }));
  fx.failStarts = true;
  assert.equal(core.start(), true);
  core.ensureWorkers();
  assert.deepEqual(fx.take(), ['start failed']);
});
