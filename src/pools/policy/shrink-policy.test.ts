import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workersPastMax } from './shrink-policy.ts';

test('past maxProcesses: starting workers drain first, then the least busy, then the youngest', () => {
  const w = (id: string, state: 'starting' | 'ready' | 'draining', inFlight: number, readyAt: number) => ({ id, state, inFlight, readyAt });
  const garden = [w('a', 'ready', 2, 100), w('b', 'ready', 0, 200), w('c', 'starting', 0, 0), w('d', 'ready', 0, 300), w('e', 'draining', 0, 50)];
  assert.deepEqual(workersPastMax(garden, 1).map((x) => x.id), ['c', 'd', 'b']);
  assert.deepEqual(workersPastMax(garden, 4), []);
  assert.deepEqual(workersPastMax(garden, 3).map((x) => x.id), ['c']);
});
