import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrashStore } from './crash-store.ts';
import type { CrashReport } from './report-types.ts';

function report(id: string, bucket: string, pool: string, time: string, extra: Partial<CrashReport> = {}): CrashReport {
  return {
    id, kind: 'crash', bucket, signature: `crash Error | f (${bucket}.js)`, top: [`f (${bucket}.js)`], time, pool, worker: `${pool}-1`, pid: 1,
    runtime: 'node', command: ['node', 'a.js'], exit: { code: 1, signal: null }, uptimeMs: 1, requestsServed: 0, requestsInFlight: [],
    requestsAbandoned: [], error: { type: 'Error', message: 'boom' }, stackSource: 'node-report', stack: [], threads: [], rawStack: null,
    core: null, stderrTail: [], stdoutTail: [], notes: [], triggerEventSeq: 1, captureMs: 1, armed: false, ...extra,
  };
}

function withStore(limits: Parameters<typeof CrashStore.open>[1], fn: (store: CrashStore, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-store-'));
  const store = CrashStore.open(dir, limits);
  try {
    fn(store, dir);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('buckets count reports across pools, newest first, and survive a reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-store-'));
  let store = CrashStore.open(dir);
  store.save(report('crash-1', 'aaa', 'web', '2025-01-01T10:00:00.000Z'));
  store.save(report('crash-2', 'bbb', 'web', '2025-01-01T11:00:00.000Z'));
  store.save(report('crash-3', 'aaa', 'api', '2025-01-01T12:00:00.000Z'));
  store.close();
  store = CrashStore.open(dir);
  const all = store.buckets();
  assert.deepEqual(all.map((b) => [b.bucket, b.count, b.pools, b.latest]), [['aaa', 2, ['web', 'api'], 'crash-3'], ['bbb', 1, ['web'], 'crash-2']]);
  assert.equal(all[0].firstSeen, '2025-01-01T10:00:00.000Z');
  assert.equal(all[0].lastSeen, '2025-01-01T12:00:00.000Z');
  assert.deepEqual(store.buckets('api').map((b) => b.bucket), ['aaa']);
  assert.equal(store.report('aaa')?.id, 'crash-3', 'a bucket id gives its newest report');
  assert.equal(store.report('crash-1')?.pool, 'web');
  assert.equal(store.report('../index.db'), null, 'ids are never paths');
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('past the byte limit the oldest reports go first; the newest one always stays', () => {
  withStore({ maxReportBytes: 5000 }, (store, dir) => {
    const big = { stderrTail: ['x'.repeat(1200)] };
    store.save(report('crash-1', 'aaa', 'web', '2025-01-01T10:00:00.000Z', big));
    store.save(report('crash-2', 'aaa', 'web', '2025-01-01T11:00:00.000Z', big));
    const { removed } = store.save(report('crash-3', 'aaa', 'web', '2025-01-01T12:00:00.000Z', big));
    assert.deepEqual(removed, ['crash-1']);
    assert.ok(!existsSync(join(dir, 'crashes', 'crash-1.json')));
    assert.deepEqual(store.reportIds(), ['crash-3', 'crash-2']);
    assert.equal(store.buckets()[0].count, 3);
    const huge = store.save(report('crash-4', 'bbb', 'web', '2025-01-01T13:00:00.000Z', { stderrTail: ['y'.repeat(5000)] }));
    assert.deepEqual(huge.removed, ['crash-2', 'crash-3']);
    assert.deepEqual(store.reportIds(), ['crash-4']);
  });
});

test('kept cores have their own limit: the oldest core is deleted and its report says so', () => {
  withStore({ maxCores: 1 }, (store, dir) => {
    const coreOf = (id: string): CrashReport['core'] => {
      const src = join(dir, `${id}.src`);
      writeFileSync(src, 'core bytes');
      return { status: 'kept', path: store.keepCore(id, src), bytes: 10, corePattern: 'core', note: null };
    };
    store.save(report('crash-1', 'aaa', 'web', '2025-01-01T10:00:00.000Z', { core: coreOf('crash-1') }));
    const first = store.report('crash-1')!.core!.path!;
    assert.ok(existsSync(first));
    store.save(report('crash-2', 'aaa', 'web', '2025-01-01T11:00:00.000Z', { core: coreOf('crash-2') }));
    assert.ok(!existsSync(first));
    assert.equal(store.report('crash-1')!.core!.status, 'deleted');
    assert.ok(existsSync(store.report('crash-2')!.core!.path!));
    assert.deepEqual(store.usage(), { reports: 2, reportBytes: store.usage().reportBytes, cores: 1, coreBytes: 10 });
    assert.match(readFileSync(join(dir, 'crashes', 'crash-1.json'), 'utf8'), /removed by the core limit/);
  });
});

test('a damaged index is moved aside, a fresh one opened, and the reports on disk indexed again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-store-'));
  try {
    let store = CrashStore.open(dir);
    store.save(report('crash-1', 'aaa', 'web', '2025-01-01T10:00:00.000Z'));
    store.save(report('crash-2', 'aaa', 'api', '2025-01-01T11:00:00.000Z'));
    store.close();
    const index = join(dir, 'crashes', 'index.db');
    writeFileSync(index, Buffer.alloc(4096, 0x41));
    rmSync(`${index}-wal`, { force: true });
    store = CrashStore.open(dir);
    const moved = store.movedAside;
    assert.ok(moved, 'the store says it replaced the index');
    assert.match(moved.movedTo, /index\.db\.corrupt-\d{8}T\d{6}Z$/);
    assert.ok(existsSync(moved.movedTo));
    assert.equal(moved.reindexed, 2);
    assert.deepEqual(store.buckets().map((b) => [b.bucket, b.count, b.pools]), [['aaa', 2, ['web', 'api']]]);
    assert.equal(store.report('crash-1')?.pool, 'web');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bucket keeps the poison requests of its reports; an index made before that column gains it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-store-'));
  try {
    const { mkdirSync } = await import('node:fs');
    const { DatabaseSync } = await import('node:sqlite');
    mkdirSync(join(dir, 'crashes'), { recursive: true });
    const old = new DatabaseSync(join(dir, 'crashes', 'index.db'));
    old.exec(`CREATE TABLE buckets (bucket TEXT PRIMARY KEY, kind TEXT NOT NULL, signature TEXT NOT NULL, count INTEGER NOT NULL,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, pools TEXT NOT NULL, top TEXT NOT NULL, error TEXT NOT NULL)`);
    old.exec(`INSERT INTO buckets VALUES ('aaa', 'crash', 's', 1, 1, 1, '["web"]', '[]', 'Error')`);
    old.close();
    const store = CrashStore.open(dir);
    assert.deepEqual(store.bucket('aaa')?.poisonRequests, [], 'an old bucket has none');
    store.save(report('crash-1', 'aaa', 'web', '2025-01-01T10:00:00.000Z', { poisonRequests: ['GET /hang'] }));
    store.save(report('crash-2', 'aaa', 'web', '2025-01-01T11:00:00.000Z'));
    assert.deepEqual(store.bucket('aaa')?.poisonRequests, ['GET /hang']);
    assert.equal(store.bucket('aaa')?.count, 3);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
