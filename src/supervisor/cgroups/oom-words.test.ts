import { test } from 'node:test';
import assert from 'node:assert/strict';
import { megabytes, oomWords } from './oom-words.ts';

test('an OOM kill is said in words with the limit and the peak', () => {
  const mb = 1024 * 1024;
  assert.equal(oomWords({ kills: 1, limitBytes: 512 * mb, peakBytes: Math.round(511.8 * mb) }), "killed by the kernel's OOM killer at the pool's 512 MB limit; peak 511.8 MB");
  assert.equal(oomWords({ kills: 1, limitBytes: null, peakBytes: null }), "killed by the kernel's OOM killer at a memory limit");
  assert.equal(megabytes(1.5 * mb), '1.5 MB');
});
