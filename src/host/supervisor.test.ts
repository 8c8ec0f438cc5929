import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { runDirFor } from './supervisor.ts';

test('worker sockets live under dataDir unless the path would be too long for a unix socket', () => {
  assert.equal(runDirFor('/var/lib/paddock'), '/var/lib/paddock/run');
  const deep = '/srv/' + 'very-long-folder-name/'.repeat(4) + 'data';
  const dir = runDirFor(deep);
  assert.ok(dir.startsWith(tmpdir() + '/paddock-'), dir);
  assert.equal(runDirFor(deep), dir, 'the same dataDir always gets the same folder');
  assert.notEqual(runDirFor(deep + '2'), dir, 'another dataDir gets another');
});
