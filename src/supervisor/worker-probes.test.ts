/**
 * The pings of a worker without a process: a host that records what the probes tell it, and
 * node:test's fake timers for the ping interval and response time.
 */
import { test, mock, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerProbes, type ProbeHost } from './worker-probes.ts';
import type { WorkerState } from './worker-state.ts';
import { poolConfig } from '../../test/helpers/pool-fakes.ts';

function setup(t: TestContext, channel = true) {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const told = { state: 'ready' as WorkerState, sent: [] as number[], missed: [] as number[], ready: 0 };
  const host: ProbeHost = {
    pool: poolConfig({ processModel: { pingInterval: 100, pingResponseTime: 40 } }),
    state: () => told.state,
    address: () => ({ path: '/nonexistent/worker.sock' }),
    channelSpoken: () => channel,
    hasChannel: () => channel,
    sendPing: (id) => told.sent.push(id),
    arm: (ms, fn) => setTimeout(fn, ms),
    ready: () => told.ready++,
    probing: () => {},
    missed: (ms) => told.missed.push(ms),
  };
  return { told, probes: new WorkerProbes(host) };
}

test('an answered ping is not missed; an unanswered one is missed once and the pings stop', (t) => {
  const { told, probes } = setup(t);
  probes.schedulePing();
  mock.timers.tick(100);
  assert.deepEqual(told.sent, [1]);
  probes.pong(1);
  mock.timers.tick(40);
  assert.deepEqual(told.missed, []);
  mock.timers.tick(60);
  assert.deepEqual(told.sent, [1, 2]);
  mock.timers.tick(39);
  assert.deepEqual(told.missed, []);
  mock.timers.tick(1);
  assert.deepEqual(told.missed, [40]);
  mock.timers.tick(1_000);
  assert.deepEqual(told.sent, [1, 2], 'no ping after a miss');
});

test('one ping at a time, only while ready, and a pong for another ping does not count', (t) => {
  const { told, probes } = setup(t);
  told.state = 'starting';
  probes.ping();
  assert.deepEqual(told.sent, []);
  told.state = 'ready';
  probes.ping();
  probes.ping();
  assert.deepEqual(told.sent, [1]);
  probes.pong(7);
  mock.timers.tick(40);
  assert.deepEqual(told.missed, [40]);
});

test('a ping pending when the pings stop is not missed, nor one the worker is no longer ready for', (t) => {
  const { told, probes } = setup(t);
  probes.ping();
  probes.stop();
  mock.timers.tick(1_000);
  probes.ping();
  told.state = 'draining';
  mock.timers.tick(40);
  assert.deepEqual(told.sent, [1, 2]);
  assert.deepEqual(told.missed, []);
});

test('without a channel or a pingPath a worker is not pinged', (t) => {
  const { told, probes } = setup(t, false);
  probes.ping();
  mock.timers.tick(1_000);
  assert.deepEqual(told.sent, []);
  assert.deepEqual(told.missed, []);
});
