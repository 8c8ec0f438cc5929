/**
 * The v1 code path on a fake folder per controller (the real hierarchies are used by the
 * scenarios in test/isolation*.test.ts): what the host writes and how it reads the figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { V1Node } from './v1-node.ts';
import { v1Controllers, type V1Controller } from './layout.ts';
import { WorkerCgroup } from './worker-cgroup.ts';
import { oomWords } from './oom-words.ts';

const text = (f: string): string => readFileSync(f, 'utf8');

test('v1: one folder per hierarchy, limits in each controller\'s files, figures of the subtree', () => {
  const root = mkdtempSync(join(tmpdir(), 'pdk-cg1-'));
  try {
    const dirs = {} as Record<V1Controller, string>;
    for (const c of v1Controllers) {
      dirs[c] = join(root, c, c === 'memory' ? 'process_api/x' : '');
      mkdirSync(dirs[c], { recursive: true });
    }
    const pool = new V1Node(dirs, '/process_api/x').child('paddock').child('web');
    assert.equal(pool.procsFiles.length, 5);
    assert.ok(pool.procsFiles.includes(join(root, 'memory/process_api/x/paddock/web/cgroup.procs')));
    writeFileSync(join(pool.dirs.memory, 'memory.memsw.limit_in_bytes'), '9223372036854771712\n');
    pool.setLimits({ memoryBytes: 512 * 1024 * 1024, tasks: 100 });
    assert.equal(text(join(pool.dirs.memory, 'memory.limit_in_bytes')), '536870912');
    assert.equal(text(join(pool.dirs.memory, 'memory.memsw.limit_in_bytes')), '536870912');
    assert.equal(text(join(pool.dirs.pids, 'pids.max')), '100');
    pool.setCpuQuota(0.5);
    assert.equal(text(join(pool.dirs.cpu, 'cpu.cfs_quota_us')), '50000');
    assert.equal(text(join(pool.dirs.cpu, 'cpu.cfs_period_us')), '100000');
    pool.setCpuQuota(null);
    assert.equal(text(join(pool.dirs.cpu, 'cpu.cfs_quota_us')), '-1');
    writeFileSync(join(pool.dirs.memory, 'memory.limit_in_bytes'), '9223372036854771712\n');
    assert.equal(pool.memoryLimit(), null, 'the kernel\'s "no limit" is none');
    writeFileSync(join(pool.dirs.memory, 'memory.limit_in_bytes'), '536870912\n');

    const node = pool.child('web-1');
    const w = new WorkerCgroup(pool, node);
    w.freeze();
    assert.equal(text(join(node.dirs.freezer, 'freezer.state')), 'FROZEN');
    w.thaw();
    assert.equal(text(join(node.dirs.freezer, 'freezer.state')), 'THAWED');
    writeFileSync(join(node.dirs.cpuacct, 'cpuacct.usage'), '2500000000\n');
    writeFileSync(join(node.dirs.memory, 'memory.usage_in_bytes'), String(80 << 20));
    writeFileSync(join(node.dirs.memory, 'memory.stat'), `cache ${1 << 20}\nrss ${1 << 20}\ntotal_cache ${20 << 20}\ntotal_rss ${50 << 20}\ntotal_mapped_file ${4 << 20}\n`);
    writeFileSync(join(node.dirs.memory, 'memory.max_usage_in_bytes'), String(Math.round(511.8 * 1024 * 1024)));
    writeFileSync(join(node.dirs.memory, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    writeFileSync(join(node.dirs.cpu, 'cpu.stat'), 'nr_periods 40\nnr_throttled 12\nthrottled_time 5\n');
    assert.deepEqual(w.stats(), { cpuSeconds: 2.5, rssBytes: 54 << 20, virtualBytes: 0 });
    assert.equal(w.privateBytes(), 50 << 20, 'total_rss: the whole subtree');
    assert.equal(node.throttledCount(), 12);
    assert.equal(w.oomFacts().kills, 2);
    assert.equal(oomWords(w.oomFacts()), "killed by the kernel's OOM killer at the pool's 512 MB limit; peak 511.8 MB");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
