import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeProfile, selfTimeTable, type CpuProfile } from './cpu-profile.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('writeBuffer') },
    { id: 4, callFrame: frame('parseRequestHead', 'file:///work/repo/src/front-door/http-parser.ts', 9) },
    { id: 5, callFrame: frame('onStreamRead', 'node:internal/stream_base_commons', 160) },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  // 100 µs between samples, except a long idle stretch.
  samples: [3, 3, 4, 2, 5, 6, 3, 2],
  timeDeltas: [100, 100, 100, 100, 5000, 100, 100, 100],
};

test('idle samples are left out and each sample counts the gap after it', () => {
  const s = summarizeProfile(PROFILE);
  // Busy samples: 3,3,4,5,6,3 -> gaps after them 100,100,100,100,100,100 (the idle one took 5000).
  assert.equal(s.busyMs, 0.6);
  assert.deepEqual(s.functions.map((f) => f.name), [
    'writeBuffer (native)',
    'parseRequestHead src/front-door/http-parser.ts:10',
    'onStreamRead node:internal/stream_base_commons:161',
    'garbage collector',
  ]);
  assert.equal(s.functions[0].ms, 0.3);
  assert.equal(s.functions[0].share, 0.5);
});

test('areas group our files, Node internals, native functions, V8 and the collector', () => {
  const areas = summarizeProfile(PROFILE).areas.map((a) => a.name);
  assert.deepEqual(areas, ['native writeBuffer', 'src/front-door/http-parser.ts', 'Node internals (node:*)', 'garbage collector']);
});

test('the table shows the top rows with their share', () => {
  const t = selfTimeTable('function', summarizeProfile(PROFILE).functions, 2).split('\n');
  assert.equal(t.length, 4);
  assert.equal(t[2], '| writeBuffer (native) | 0 | 50.0 % |');
});
