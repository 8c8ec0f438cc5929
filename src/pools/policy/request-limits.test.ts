import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockedRequests, hasRoom, isPoison, queueWaitExpired, responseOverdue, unhealthyAtStart, type HeldRequest } from './request-limits.ts';

const held = (label: string, grantedAt: number, over: Partial<HeldRequest> = {}): HeldRequest => ({ label, grantedAt, responseStarted: false, tunnel: false, ...over });

test('queueTimeout: a waiter queued for the limit has waited too long; 0 is no limit', () => {
  assert.equal(queueWaitExpired(1000, 500, 1499), false);
  assert.equal(queueWaitExpired(1000, 500, 1500), true);
  assert.equal(queueWaitExpired(0, 0, 10 ** 12), false);
});

test('requestTimeout: overdue without a response head; a 1xx or a tunnel is an answer; 0 is no limit', () => {
  assert.equal(responseOverdue(held('GET /a', 0), 100, 99), false);
  assert.equal(responseOverdue(held('GET /a', 0), 100, 100), true);
  assert.equal(responseOverdue(held('GET /a', 0, { responseStarted: true }), 100, 500), false);
  assert.equal(responseOverdue(held('GET /ws', 0, { tunnel: true }), 100, 500), false);
  assert.equal(responseOverdue(held('GET /a', 0), 0, 10 ** 9), false);
});

test('blocked requests: N requests each older than T without a response make the worker unhealthy; 0 is off', () => {
  const list = [held('GET /1', 0), held('GET /2', 10), held('GET /streaming', 20, { responseStarted: true }), held('GET /young', 900)];
  assert.deepEqual(blockedRequests(list, 2, 500, 1000)?.map((r) => r.label), ['GET /1', 'GET /2']);
  assert.equal(blockedRequests(list, 3, 500, 1000), null, 'one that answers does not count');
  assert.equal(blockedRequests(list, 0, 500, 1000), null);
  assert.equal(blockedRequests(list, 2, 995, 1000), null, 'too young');
});

test('poison: the second death with a request in hand makes it a poison request', () => {
  assert.equal(isPoison(0), false);
  assert.equal(isPoison(1), true);
});

test('unhealthy within startupTimeLimit of ready is a failure; later it is a plain recycle', () => {
  assert.equal(unhealthyAtStart(1000, 90_000, 1500), true);
  assert.equal(unhealthyAtStart(1000, 90_000, 91_000), false);
  assert.equal(unhealthyAtStart(0, 90_000, 10), false, 'never ready');
});

test('maxConcurrentRequestsPerWorker: room below the limit, tunnels apart; 0 is unlimited', () => {
  assert.equal(hasRoom(1, 0, 2), true);
  assert.equal(hasRoom(2, 0, 2), false);
  assert.equal(hasRoom(3, 2, 2), true, 'two of the three are tunnels');
  assert.equal(hasRoom(10 ** 6, 0, 0), true);
});
