import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnTracked, stopChild, taggedPids } from './children.ts';
import { alive } from './proc-stat.ts';
import { waitFor } from './http-probe.ts';

test('stopping a child stops its whole process group, grandchildren included', async () => {
  // A shell that forks a long sleep and waits: the sleep is in the shell's process group.
  const child = spawnTracked('sh', '/bin/sh', ['-c', 'sleep 60 & echo $! ; wait'], { captureStdout: true });
  let out = '';
  child.proc.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  await waitFor('the grandchild pid', () => /\d+/.test(out), 5000, 10);
  const grandchild = Number(/\d+/.exec(out)?.[0]);
  assert.ok(alive(grandchild));
  assert.ok(taggedPids().includes(grandchild), 'the grandchild carries the run token');
  await stopChild(child, 'SIGTERM', 2000);
  assert.ok(child.hasExited());
  await waitFor('the grandchild to go', () => !alive(grandchild), 2000, 10);
});
