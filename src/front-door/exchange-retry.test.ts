import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LeasedWorker } from '../pools/lease.ts';
import { excludedAfterVerdict, failureCourse, gaveUpMessage, gaveUpReason, knownGone } from './exchange-retry.ts';

test('a broken worker side: cut off once bytes went out, one retry for a safe request, a verdict after a death, else a 502', () => {
  assert.equal(failureCourse(true, true, 1, false, 0), 'cutOff');
  assert.equal(failureCourse(false, true, 1, false, 0), 'retry');
  assert.equal(failureCourse(false, true, 2, false, 0), 'giveUp', 'never a third try');
  assert.equal(failureCourse(false, true, 1, true, 0), 'giveUp', 'bytes that are not HTTP are an answer, not a death');
  assert.equal(failureCourse(false, false, 1, false, 0), 'giveUp', 'a POST is not repeated');
  assert.equal(failureCourse(false, true, 2, false, 1), 'verdict', 'retried after a death: poison if this one died too');
  assert.equal(failureCourse(false, true, 2, true, 1), 'giveUp');
});

test('a worker is known gone when it exited, is not ready, or hung; one still ready after the verdict is alive', () => {
  const w = (exitFacts: unknown, state: string, hung: boolean): LeasedWorker => ({ exitFacts, state, hung }) as unknown as LeasedWorker;
  assert.equal(knownGone(w(null, 'ready', false)), false);
  assert.equal(knownGone(w({}, 'ready', false)), true);
  assert.equal(knownGone(w(null, 'stopping', false)), true);
  assert.equal(knownGone(w(null, 'ready', true)), true);
  assert.equal(excludedAfterVerdict(w(null, 'ready', true)), null, 'hung but still ready: it may take the retry');
  const dead = w({}, 'ready', false);
  assert.equal(excludedAfterVerdict(dead), dead);
});

test('the 502 of a request not tried again names a poison request and its deaths', () => {
  assert.equal(gaveUpReason(true), 'PoisonRequest');
  assert.equal(gaveUpReason(false), 'Connection_Abandoned_By_AppPool');
  assert.match(gaveUpMessage(true, 2, false)!, /in hand at 2 worker deaths/);
  assert.match(gaveUpMessage(false, 0, true)!, /not valid HTTP/);
  assert.equal(gaveUpMessage(false, 1, false), undefined);
});
