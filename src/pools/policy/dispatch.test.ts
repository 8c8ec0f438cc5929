import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsTowardMax, demandStart, pickWorker, replaceAtOnce, startBackoffMs, type DispatchFacts } from './dispatch.ts';
import type { WorkerState } from '../../supervisor/worker-state.ts';

type W = DispatchFacts & { readonly id: string };
const w = (id: string, over: Partial<DispatchFacts> = {}): W => ({ id, state: 'ready', health: 'healthy', hung: false, inFlight: 0, ...over });

const pickCases: Array<{ name: string; workers: W[]; exclude?: string; expect: string | null }> = [
  { name: 'least outstanding requests', workers: [w('a', { inFlight: 3 }), w('b', { inFlight: 1 }), w('c', { inFlight: 2 })], expect: 'b' },
  { name: 'a tie goes to the first', workers: [w('a', { inFlight: 1 }), w('b', { inFlight: 1 })], expect: 'a' },
  { name: 'healthy before unhealthy, however busy', workers: [w('a', { health: 'unhealthy' }), w('b', { inFlight: 9 })], expect: 'b' },
  { name: 'an unhealthy worker still serves when it is the only one', workers: [w('a', { health: 'unhealthy' })], expect: 'a' },
  { name: 'a hung worker takes nothing', workers: [w('a', { hung: true })], expect: null },
  { name: 'a suspended worker counts as ready (it is thawed)', workers: [w('a', { state: 'suspended' })], expect: 'a' },
  { name: 'starting and draining workers take nothing', workers: [w('a', { state: 'starting' }), w('b', { state: 'draining' }), w('c', { state: 'orphaned' })], expect: null },
  { name: 'the excluded worker is skipped', workers: [w('a'), w('b', { inFlight: 5 })], exclude: 'a', expect: 'b' },
  { name: 'nobody left but the excluded one', workers: [w('a')], exclude: 'a', expect: null },
];

for (const c of pickCases) {
  test(`pick: ${c.name}`, () => {
    const exclude = c.workers.find((x) => x.id === c.exclude) ?? null;
    assert.equal(pickWorker(c.workers, exclude)?.id ?? null, c.expect);
  });
}

test('counting toward maxProcesses: a worker being replaced holds its slot only under disallowOverlappingRotation', () => {
  const rows: Array<[WorkerState, boolean, boolean, boolean]> = [
    // state, replaced, strict, counts
    ['starting', false, false, true],
    ['ready', false, false, true],
    ['suspended', false, false, true],
    ['ready', true, false, false],
    ['ready', true, true, true],
    ['draining', true, true, true],
    ['draining', true, false, false],
    ['draining', false, true, false],
    ['stopped', false, false, false],
    ['orphaned', true, true, false],
  ];
  for (const [state, replaced, strict, counts] of rows) assert.equal(countsTowardMax(state, replaced, strict), counts, `${state} replaced=${replaced} strict=${strict}`);
});

test('demand start: below maxProcesses and none starting', () => {
  assert.equal(demandStart([], 1), true);
  assert.equal(demandStart([{ state: 'starting' }], 2), false, 'a garden grows one at a time');
  assert.equal(demandStart([{ state: 'ready' }], 2), true);
  assert.equal(demandStart([{ state: 'ready' }, { state: 'ready' }], 2), false);
});

test('after a hang: replace at once when AlwaysRunning, when requests wait, or when no other worker is ready', () => {
  assert.equal(replaceAtOnce([], 1, 'OnDemand', 0), true, 'nothing else is ready');
  assert.equal(replaceAtOnce([{ state: 'ready' }], 2, 'OnDemand', 0), false, 'another serves; the next request starts one');
  assert.equal(replaceAtOnce([{ state: 'ready' }], 2, 'OnDemand', 3), true);
  assert.equal(replaceAtOnce([{ state: 'ready' }], 2, 'AlwaysRunning', 0), true);
  assert.equal(replaceAtOnce([{ state: 'ready' }], 1, 'AlwaysRunning', 5), false, 'never past maxProcesses');
});

test('the crash-loop back-off doubles from 100 ms and stops at 5 s', () => {
  assert.deepEqual([0, 1, 2, 3, 6, 7, 8, 50].map(startBackoffMs), [0, 100, 200, 400, 3200, 5000, 5000, 5000]);
});
