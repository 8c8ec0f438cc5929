/**
 * The v2 code path against a fake cgroupfs folder (plain files where the kernel has control
 * files): what the host writes, and how it reads the kernel's figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostCgroups, ownerName } from './host-cgroups.ts';
import { V2Node } from './v2-node.ts';
import { WorkerCgroup } from './worker-cgroup.ts';
import { oomWords } from './oom-words.ts';

function fakeTree(): { root: string; svc: string; done(): void } {
  const root = mkdtempSync(join(tmpdir(), 'pdk-cg2-'));
  const svc = join(root, 'system.slice', 'paddock.service');
  mkdirSync(svc, { recursive: true });
  writeFileSync(join(svc, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  writeFileSync(join(svc, 'cgroup.procs'), '');
  return { root, svc, done: () => rmSync(root, { recursive: true, force: true }) };
}

const text = (f: string): string => readFileSync(f, 'utf8');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
};

test('v2: the subtree is made below the host\'s cgroup with cpu, memory and pids enabled for children, and a pool gets its limits', async () => {
  const t = fakeTree();
  try {
    const dataDir = '/srv/site';
    const h = HostCgroups.setUp({ dataDir, layout: { kind: 'v2', mount: t.root, hostDir: t.svc, hostPath: '/system.slice/paddock.service' } });
    assert.equal(h.report.enabled, true, String(h.report.reason));
    assert.equal(h.report.layout, 'v2');
    assert.deepEqual(h.report.hostCgroups, { unified: '/system.slice/paddock.service' });
    assert.equal(h.report.root.length, 1);
    assert.ok(h.report.root[0].startsWith(join(t.svc, 'paddock') + '/'));
    assert.equal(text(join(t.svc, 'cgroup.subtree_control')), '+cpu +memory +pids');

    const pool = h.pool('web', { memoryBytes: 512 * 1024 * 1024, tasks: 64 })!;
    const dir = join(h.report.root[0], 'web');
    assert.equal(text(join(dir, 'memory.max')), '536870912');
    assert.equal(text(join(dir, 'pids.max')), '64');
    pool.setCpuQuota(0.25);
    assert.equal(text(join(dir, 'cpu.max')), '25000 100000');
    pool.setCpuQuota(null);
    assert.equal(text(join(dir, 'cpu.max')), 'max 100000');
    h.pool('web', { memoryBytes: 0, tasks: 0 });
    assert.equal(text(join(dir, 'memory.max')), 'max');
    assert.equal(text(join(dir, 'pids.max')), 'max');
    writeFileSync(join(dir, 'memory.max'), '536870912\n'); // as the kernel would read it back
    assert.equal(pool.memoryLimit(), 536870912);
  } finally {
    t.done();
  }
});

test('v2: a worker\'s cgroup freezes, thaws, reads the figures of its tree and words an OOM kill', () => {
  const t = fakeTree();
  try {
    const pool = new V2Node(t.svc, '/svc').child('web');
    writeFileSync(join(pool.dir, 'memory.max'), String(512 * 1024 * 1024));
    const node = pool.child('web-1');
    writeFileSync(join(node.dir, 'memory.oom.group'), '0\n');
    node.oomKillsAll();
    assert.equal(text(join(node.dir, 'memory.oom.group')), '1');
    const w = new WorkerCgroup(pool, node);
    assert.deepEqual(w.procsFiles, [join(node.dir, 'cgroup.procs')]);
    w.freeze();
    assert.equal(text(join(node.dir, 'cgroup.freeze')), '1');
    w.thaw();
    assert.equal(text(join(node.dir, 'cgroup.freeze')), '0');
    writeFileSync(join(node.dir, 'cpu.stat'), 'usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\nnr_periods 10\nnr_throttled 3\n');
    writeFileSync(join(node.dir, 'memory.current'), String(40 << 20));
    writeFileSync(join(node.dir, 'memory.stat'), `anon ${30 << 20}\nfile ${10 << 20}\nfile_mapped ${2 << 20}\n`);
    writeFileSync(join(node.dir, 'memory.peak'), String(Math.round(511.8 * 1024 * 1024)));
    writeFileSync(join(node.dir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n');
    writeFileSync(join(node.dir, 'cgroup.procs'), '');
    assert.deepEqual(w.stats(), { cpuSeconds: 1.5, rssBytes: 32 << 20, virtualBytes: 0 });
    assert.equal(w.privateBytes(), 30 << 20);
    assert.equal(node.throttledCount(), 3);
    assert.equal(oomWords(w.oomFacts()), "killed by the kernel's OOM killer at the pool's 512 MB limit; peak 511.8 MB");
  } finally {
    t.done();
  }
});

test('v2 without cgroup.kill: every process of the tree is killed while the cgroup is frozen', async () => {
  const t = fakeTree();
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const node = new V2Node(t.svc, '/svc').child('web').child('web-1');
    const child = node.child('grandchild');
    writeFileSync(join(child.dir, 'cgroup.procs'), `${sleeper.pid}\n`);
    assert.deepEqual(node.pids(), [sleeper.pid]);
    const killed = await node.kill(300);
    assert.equal(killed, 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(sleeper.pid!), false, 'the process in the tree was killed');
    assert.equal(text(join(node.dir, 'cgroup.freeze')), '0', 'frozen for the kill, thawed after');
  } finally {
    sleeper.kill('SIGKILL');
    t.done();
  }
});

test('a starting host ends what a dead host of its dataDir left, removes empty leftovers of others, and leaves live hosts alone', async () => {
  const t = fakeTree();
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const dataDir = '/srv/site';
    const layout = { kind: 'v2' as const, mount: t.root, hostDir: t.svc, hostPath: '/svc' };
    const paddock = join(t.svc, 'paddock');
    const deadOwn = ownerName(dataDir, 999_999_999, '1');
    mkdirSync(join(paddock, deadOwn, 'web', 'web-3'), { recursive: true });
    writeFileSync(join(paddock, deadOwn, 'web', 'web-3', 'cgroup.procs'), `${sleeper.pid}\n`);
    const deadOtherBusy = ownerName('/elsewhere', 999_999_998, '1');
    mkdirSync(join(paddock, deadOtherBusy, 'api', 'api-1'), { recursive: true });
    writeFileSync(join(paddock, deadOtherBusy, 'api', 'api-1', 'cgroup.procs'), `${process.pid}\n`);
    const live = ownerName(dataDir, process.ppid, readFileSync(`/proc/${process.ppid}/stat`, 'latin1').split(') ')[1].split(' ')[19]);
    mkdirSync(join(paddock, live, 'web', 'web-1'), { recursive: true });
    writeFileSync(join(paddock, live, 'web', 'web-1', 'cgroup.procs'), `${process.pid}\n`);

    const h = HostCgroups.setUp({ dataDir, layout });
    const reaped = await h.reapLeftovers();
    assert.deepEqual(reaped.owners, [deadOwn]);
    assert.equal(reaped.processes, 1);
    assert.equal(reaped.cgroups, 3, 'owner, pool and worker cgroups');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(sleeper.pid!), false);
    assert.ok(alive(process.pid));
    assert.ok(existsSync(join(paddock, live, 'web', 'web-1')), 'a live host\'s cgroups are untouched');
    assert.ok(existsSync(join(paddock, deadOtherBusy)), 'another dataDir\'s leftovers wait for their own successor');
  } finally {
    sleeper.kill('SIGKILL');
    t.done();
  }
});

test('where cgroups cannot be made the host says why and reports them off', () => {
  const t = fakeTree();
  try {
    const file = join(t.root, 'not-a-folder');
    writeFileSync(file, '');
    const h = HostCgroups.setUp({ dataDir: '/srv', layout: { kind: 'v2', mount: t.root, hostDir: join(file, 'svc'), hostPath: '/svc' } });
    assert.equal(h.enabled, false);
    assert.equal(h.report.enabled, false);
    assert.match(String(h.report.reason), /ENOTDIR|not a directory/);
    assert.equal(h.pool('web', { memoryBytes: 0, tasks: 0 }), null);
    const none = HostCgroups.setUp({ dataDir: '/srv', layout: { kind: 'none', reason: 'no cgroup hierarchy is mounted' } });
    assert.equal(none.report.reason, 'no cgroup hierarchy is mounted');
    // v2's rule: a host cgroup holding other processes cannot give children controllers.
    writeFileSync(join(t.svc, 'cgroup.procs'), '1\n');
    const busy = HostCgroups.setUp({ dataDir: '/srv', layout: { kind: 'v2', mount: t.root, hostDir: t.svc, hostPath: '/svc' } });
    assert.equal(busy.enabled, false);
    assert.match(String(busy.report.reason), /holds other processes \(1\).*Delegate=yes/);
  } finally {
    t.done();
  }
});
