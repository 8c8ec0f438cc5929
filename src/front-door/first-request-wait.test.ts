import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { FirstRequestWait } from './first-request-wait.ts';

test('the first-request wait ends when the request comes, when the socket closes, or at the grace (which closes)', async () => {
  let graceRuns = 0;
  const socket = (): Socket => new EventEmitter() as unknown as Socket;
  const came = new FirstRequestWait(socket(), 10_000, () => graceRuns++);
  came.done();
  await came.promise;
  const s = socket();
  const closed = new FirstRequestWait(s, 10_000, () => graceRuns++);
  s.emit('close');
  await closed.promise;
  assert.equal(graceRuns, 0, 'neither ran the grace');
  await new FirstRequestWait(socket(), 20, () => graceRuns++).promise;
  assert.equal(graceRuns, 1);
});
