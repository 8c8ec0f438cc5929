import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolationLine } from './status.ts';

test('`paddock status` says in one line whether workers get cgroups, and why not', () => {
  const on = { enabled: true, layout: 'v1' as const, description: 'cgroup v1 (cpu, cpuacct, memory, freezer, pids)', reason: null, hostCgroups: { memory: '/x' }, root: ['/sys/fs/cgroup/memory/x/paddock/a-1-2'], owner: 'a-1-2' };
  assert.equal(isolationLine(on), 'isolation: cgroups (cgroup v1 (cpu, cpuacct, memory, freezer, pids)), a cgroup per worker under /sys/fs/cgroup/memory/x/paddock/a-1-2');
  const off = { ...on, enabled: false, layout: 'none' as const, reason: 'no cgroup hierarchy is mounted', root: [], owner: null };
  assert.equal(isolationLine(off), 'isolation: no cgroups (no cgroup hierarchy is mounted); workers run in process groups only');
});
