/**
 * Hang reports: taken after a missed ping (5010) and before the worker is killed. A busy JS loop
 * is paused through the inspector; a worker blocked in native code gets gdb's native stacks; a
 * pool can turn hang capture off.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestHost, get, fixtures, waitFor, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { gdbPath } from '../src/diagnostics/gdb.ts';
import type { CrashReport } from '../src/diagnostics/report-types.ts';

let h: TestHost;
const pool = (diagnostics: Record<string, unknown> = {}): Record<string, unknown> => ({
  command: ['node', join(fixtures, 'diagnostics-worker.mjs')],
  processModel: { pingInterval: '300ms', pingResponseTime: '1s', startupTimeLimit: '10s', shutdownTimeLimit: '2s' },
  failure: { rapidFailProtectionMaxCrashes: 50 },
  diagnostics,
});

before(async () => {
  h = await startTestHost({
    sites: [{ name: 'main', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/quiet', pool: 'quiet' }] }],
    pools: { web: pool(), quiet: pool({ hangReports: false }) },
  });
});
after(() => h?.stop());

/**
 * Waits until no hung worker is left in the pool: one that is being killed still takes requests
 * until its exit is seen, and a POST routed to it would get 502 instead of reaching a fresh worker.
 */
async function settled(name: string): Promise<void> {
  await waitFor(() => h.host.supervisor.workers(name).every((w) => w.health === 'healthy'), 15_000, `pool ${name} without a hung worker`);
}

async function hangReport(n: number): Promise<CrashReport> {
  const e = await h.waitForEvent(EventIds.HangReport, 'web', 30_000, n);
  assert.equal(e.level, 'info', e.message);
  return h.host.supervisor.crash(String(e.details.report));
}

test("a busy-loop hang's report names the looping JS function, taken before the worker is killed", async () => {
  // POST is never retried, so one worker hangs; the client gets 502 once the hung worker is killed.
  const reply = get(`${h.url}/hang`, { method: 'POST' });
  const report = await hangReport(1);
  const missed = h.events(EventIds.PingMissed, 'web')[0];
  assert.equal(report.kind, 'hang');
  assert.equal(report.triggerEventSeq, missed.seq, 'the report links the 5010 event');
  assert.equal(report.pid, missed.pid);
  assert.equal(report.stackSource, 'inspector', report.notes.join('\n'));
  assert.equal(report.stack[0].function, 'spinForever');
  assert.match(report.stack[0].file ?? '', /diagnostics-worker\.mjs$/);
  assert.equal(report.top[0], 'spinForever (diagnostics-worker.mjs)');
  assert.deepEqual(report.requestsInFlight, ['POST /hang']);
  assert.equal(report.error.type, 'missed ping');
  assert.ok(report.notes.some((n) => /inspector was closed again/.test(n)), report.notes.join('\n'));
  assert.ok(!report.stderrTail.some((l) => l.startsWith('Debugger listening')), 'the inspector lines are not the app\'s output');

  // Captured first, killed after: the hang report's event comes before the worker's stop.
  const stopped = await h.waitForEvent(EventIds.WorkerStopped, 'web');
  const captured = h.events(EventIds.HangReport, 'web')[0];
  assert.ok(captured.seq < stopped.seq, 'the hang report is taken before the kill');
  assert.equal((await reply).status, 502);
});

test('the same hang twice lands in one bucket', async () => {
  await settled('web');
  const reply = get(`${h.url}/hang`, { method: 'POST' });
  const second = await hangReport(2);
  const first = h.host.supervisor.crash(String(h.events(EventIds.HangReport, 'web')[0].details.report));
  assert.equal(second.bucket, first.bucket);
  assert.equal(h.host.supervisor.crashes('web').find((b) => b.bucket === first.bucket)?.count, 2);
  await reply;
});

test('a worker blocked in native code gets native stacks of every thread from gdb', async (t) => {
  if (gdbPath === null) return t.skip('gdb is not installed (apt-get install gdb); the CI installs it');
  await settled('web');
  const reply = get(`${h.url}/block-native?s=30`, { method: 'POST' });
  const report = await hangReport(3);
  assert.equal(report.stackSource, 'gdb-attach', report.notes.join('\n'));
  assert.ok(report.notes.some((n) => /No JavaScript stack: the inspector did not open/.test(n)), report.notes.join('\n'));
  assert.ok(report.threads.length > 1, `threads: ${report.threads.length}`);
  const main = report.threads.find((th) => th.lwp === report.pid);
  assert.ok(main, 'the main thread is among them');
  // The main thread waits for the synchronous child inside Node's native code.
  const names = main.frames.map((f) => f.function).join(' < ');
  assert.match(names, /SyncProcessRunner|uv_run|epoll|poll|wait/, names);
  assert.deepEqual(report.requestsInFlight, ['POST /block-native']);
  assert.match(report.rawStack ?? '', /^Thread \d+/m);
  await reply;
});

test('a pool with hangReports off is killed at once, with no report and no inspector', async () => {
  assert.equal((await get(`${h.url}/quiet/`)).status, 200);
  const ready = await h.waitForEvent(EventIds.WorkerReady, 'quiet');
  const options = readFileSync(`/proc/${ready.pid}/environ`, 'utf8').split('\0').find((v) => v.startsWith('NODE_OPTIONS=')) ?? '';
  assert.doesNotMatch(options, /--inspect-port/, 'no inspector port for a pool without hang capture');
  assert.match(options, /--report-uncaught-exception/, 'crash reports stay on');
  const reply = get(`${h.url}/quiet/hang`, { method: 'POST' });
  await h.waitForEvent(EventIds.WorkerStopped, 'quiet', 15_000);
  assert.equal(h.events(EventIds.PingMissed, 'quiet').length, 1);
  assert.equal(h.events(EventIds.HangReport, 'quiet').length, 0);
  await reply;
  await waitFor(() => h.host.supervisor.workers('quiet').every((w) => w.pid !== ready.pid), 5000, 'the hung worker to go');
});
