import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { EventLog, EventLogError, type PaddockEvent } from './event-log.ts';
import { EventIds } from './event-ids.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-events-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('writes and queries by pool, id, since, afterSeq and limit', (t) => {
  const dir = tempDir(t);
  let clock = 1_700_000_000_000;
  const log = EventLog.open(join(dir, 'data'), { stdout: null, now: () => clock });
  t.after(() => log.close());
  for (let i = 0; i < 10; i++) {
    clock += 1000;
    log.write({ id: i % 2 ? EventIds.WorkerStarted : EventIds.WorkerCrashed, message: `e${i}`, pool: i < 6 ? 'web' : 'api', worker: `w${i}`, pid: 100 + i });
  }
  const all = log.query();
  assert.equal(all.length, 10);
  assert.deepEqual(all.map((e) => e.message), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
  assert.equal(all[0].level, 'error', 'default level of 5009');
  assert.equal(all[1].level, 'info', 'default level of 6001');
  assert.equal(all[0].time, new Date(1_700_000_001_000).toISOString());

  assert.deepEqual(log.query({ pool: 'api' }).map((e) => e.message), ['e6', 'e7', 'e8', 'e9']);
  assert.deepEqual(log.query({ id: 5009, pool: 'web' }).map((e) => e.message), ['e0', 'e2', 'e4']);
  assert.deepEqual(log.query({ sinceMs: 1_700_000_008_000 }).map((e) => e.message), ['e7', 'e8', 'e9']);
  assert.deepEqual(log.query({ limit: 3 }).map((e) => e.message), ['e7', 'e8', 'e9'], 'newest 3, ascending');
  const third = all[2].seq;
  assert.deepEqual(log.query({ afterSeq: third, limit: 2 }).map((e) => e.message), ['e3', 'e4'], 'oldest after seq');
  assert.deepEqual(log.query({ afterSeq: all[9].seq }), []);
  assert.deepEqual(log.query({ pool: 'nope' }), []);
});

test('each event goes to stdout as one JSON line, and to subscribers', (t) => {
  const dir = tempDir(t);
  const lines: string[] = [];
  const log = EventLog.open(dir, { stdout: (l) => lines.push(l), stderr: () => {} });
  t.after(() => log.close());
  const seen: PaddockEvent[] = [];
  const off = log.on((e) => seen.push(e));
  log.on(() => { throw new Error('a broken listener'); });
  const big = { n: 10n, err: new Error('boom'), nested: { a: [1, 2] } } as Record<string, unknown>;
  const e = log.write({ id: 5009, message: 'worker 3 exited with "signal" SIGSEGV', pool: 'web', worker: 'web-3', pid: 42, details: big });
  off();
  log.write({ id: 6001, message: 'after unsubscribe' });

  assert.equal(seen.length, 1);
  assert.equal(seen[0], e);
  assert.equal(lines.length, 2);
  const parsed = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(parsed), ['time', 'level', 'event', 'pool', 'worker', 'pid', 'msg', 'details']);
  assert.equal(parsed.event, 5009);
  assert.equal(parsed.level, 'error');
  assert.equal(parsed.msg, 'worker 3 exited with "signal" SIGSEGV');
  assert.deepEqual(parsed.details, { n: '10', err: { name: 'Error', message: 'boom' }, nested: { a: [1, 2] } });
  assert.deepEqual(log.query({ id: 5009 })[0].details, parsed.details);
  assert.deepEqual(JSON.parse(lines[1]).pool, null);

  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.deepEqual(log.write({ id: 7001, message: 'cycle', details: cyclic }).details, { a: 1, self: '[Circular]' });
});

test('events survive close and reopen; the database runs in WAL mode', (t) => {
  const dir = tempDir(t);
  const log = EventLog.open(dir, { stdout: null });
  log.write({ id: 7001, message: 'host started' });
  log.write({ id: 6001, message: 'worker started', pool: 'web', pid: 7 });
  assert.ok(existsSync(join(dir, 'events.db-wal')), 'WAL file beside the database');
  log.close();
  log.close();
  assert.throws(() => log.query(), (err: unknown) => err instanceof EventLogError && err.code === 'EventLogClosed');

  const again = EventLog.open(dir, { stdout: null });
  t.after(() => again.close());
  assert.deepEqual(again.query().map((e) => [e.id, e.message, e.pid]), [[7001, 'host started', null], [6001, 'worker started', 7]]);
  const next = again.write({ id: 7002, message: 'host stopping' });
  assert.equal(next.seq, 3);
});

test('a write that cannot be stored does not throw, still reaches stdout, and is counted', (t) => {
  const dir = tempDir(t);
  const lines: string[] = [];
  const errors: string[] = [];
  const log = EventLog.open(dir, { stdout: (l) => lines.push(l), stderr: (l) => errors.push(l), busyTimeoutMs: 0 });
  t.after(() => log.close());
  log.write({ id: 7001, message: 'stored' });

  // Another process holding the write lock (a second host on the same dataDir) makes SQLite refuse.
  const other = new DatabaseSync(join(dir, 'events.db'));
  other.exec('BEGIN IMMEDIATE');
  const lost1 = log.write({ id: 5009, message: 'not stored 1' });
  const lost2 = log.write({ id: 5009, message: 'not stored 2' });
  assert.equal(lost1.seq, 0);
  assert.equal(lost2.seq, 0);
  assert.equal(log.writeFailures, 2);
  assert.equal(lines.length, 3, 'stdout still gets every event');
  assert.equal(errors.length, 1, 'one report per streak');
  assert.match(errors[0], /cannot store events/);
  other.exec('ROLLBACK');
  other.close();

  const ok = log.write({ id: 6001, message: 'stored again' });
  assert.ok(ok.seq > 0);
  assert.equal(errors.length, 2);
  assert.match(errors[1], /writable again after 2/);
  assert.deepEqual(log.query().map((e) => e.message), ['stored', 'stored again']);
  log.close();
  assert.doesNotThrow(() => log.write({ id: 7002, message: 'after close' }));
  assert.equal(log.writeFailures, 3);
});

test('a read-only database file: write does not throw and counts the failure', (t) => {
  if (process.getuid?.() === 0) {
    t.skip('root ignores file modes');
    return;
  }
  const dir = tempDir(t);
  const first = EventLog.open(dir, { stdout: null });
  first.write({ id: 7001, message: 'stored' });
  first.close();
  chmodSync(join(dir, 'events.db'), 0o444);
  let log: EventLog;
  try {
    log = EventLog.open(dir, { stdout: null, stderr: () => {} });
  } catch (err) {
    // Some SQLite builds refuse to open a read-only WAL database at all; that is reported, not hidden.
    assert.ok(err instanceof EventLogError && err.code === 'EventLogOpenFailed');
    return;
  }
  t.after(() => log.close());
  assert.doesNotThrow(() => log.write({ id: 5009, message: 'lost' }));
  assert.equal(log.writeFailures, 1);
});

test('opening where the data directory cannot exist throws EventLogOpenFailed', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'file'), 'not a directory');
  assert.throws(() => EventLog.open(join(dir, 'file', 'data')), (err: unknown) => err instanceof EventLogError && err.code === 'EventLogOpenFailed');
});

test('committed events survive the host being killed with SIGKILL', (t) => {
  const dir = tempDir(t);
  const moduleUrl = new URL('./event-log.ts', import.meta.url).href;
  const script = `
    import { EventLog } from ${JSON.stringify(moduleUrl)};
    const log = EventLog.open(${JSON.stringify(dir)}, { stdout: null });
    for (let i = 0; i < 250; i++) log.write({ id: 6001, message: 'event ' + i, pool: 'web', details: { i } });
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  const log = EventLog.open(dir, { stdout: null });
  t.after(() => log.close());
  const events = log.query({ limit: 1000 });
  assert.equal(events.length, 250);
  assert.equal(events[249].details.i, 249);
});

test('retention keeps about maxEvents events', (t) => {
  const dir = tempDir(t);
  const log = EventLog.open(dir, { stdout: null, maxEvents: 500 });
  t.after(() => log.close());
  for (let i = 1; i <= 2500; i++) log.write({ id: 6002, message: `e${i}` });
  const kept = log.query({ afterSeq: 0, limit: 10_000 });
  assert.ok(kept.length <= 1500, `kept ${kept.length}`);
  assert.equal(kept.at(-1)!.message, 'e2500');
  assert.equal(kept[0].seq, 1501);
});

test('an events.db that is not a database is moved aside, a fresh one opened, and its first event says so', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'events.db');
  writeFileSync(file, Buffer.alloc(8192, 0x5a));
  const clock = Date.parse('2026-12-01T23:59:00.123Z');
  const log = EventLog.open(dir, { stdout: null, now: () => clock });
  t.after(() => log.close());
  const moved = `${file}.corrupt-20261201T235900Z`;
  assert.ok(existsSync(moved), 'the damaged file is kept for inspection');
  const [first] = log.query({ id: EventIds.EventLogMovedAside });
  assert.ok(first, 'an event says so');
  assert.equal(first.level, 'warning');
  assert.equal(first.details.movedTo, moved);
  assert.match(first.message, /file is not a database/);
  log.write({ id: EventIds.HostStarted, message: 'after' });
  assert.equal(log.query({ id: EventIds.HostStarted }).length, 1, 'the fresh file stores events');
  assert.equal(log.writeFailures, 0);
});

test('an events.db damaged while the host runs is moved aside at the next write, which lands in a fresh file', (t) => {
  const dir = tempDir(t);
  const log = EventLog.open(dir, { stdout: null });
  t.after(() => log.close());
  for (let i = 0; i < 2000; i++) log.write({ id: EventIds.WorkerStarted, message: `before ${i} ${'x'.repeat(200)}` });
  // Damage every page after the first under the open connection, as a failing disk would.
  const file = join(dir, 'events.db');
  const db = new DatabaseSync(file);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(size - 4096, 0xee), 0, size - 4096, 4096);
  closeSync(fd);
  let failures = 0;
  for (let i = 0; i < 50 && log.query({ id: EventIds.EventLogMovedAside }).length === 0; i++) {
    try {
      log.write({ id: EventIds.WorkerStarted, message: `after ${i}` });
    } catch {
      failures++;
    }
    try { log.query({ limit: 5000 }); } catch { /* the query meets the damage and recovers */ }
  }
  assert.equal(failures, 0, 'write never throws');
  const moved = log.query({ id: EventIds.EventLogMovedAside });
  assert.equal(moved.length, 1, 'the damage was noticed and the file moved aside');
  assert.ok(existsSync(String(moved[0].details.movedTo)));
  log.write({ id: EventIds.HostStopping, message: 'still storing' });
  assert.equal(log.query({ id: EventIds.HostStopping }).length, 1);
});
