import { after, before, beforeEach, test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../events/event-log.ts';
import { EventIds } from '../events/event-ids.ts';
import { HostDrain, statusLine, type DrainHost } from './host-drain.ts';
import type { DrainEnd } from './drain-control.ts';

let dir: string;
let events: EventLog;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pdk-drain-'));
  events = EventLog.open(dir, { stdout: null });
});
after(() => {
  events.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A host whose activity the test sets, on the mocked clock. */
function fakeHost(): DrainHost & { busy: number; seen: number; closing: boolean; ended: DrainEnd[] } {
  const h = {
    events,
    busy: 0,
    seen: 0,
    closing: false,
    ended: [] as DrainEnd[],
    limits: () => ({ idleTime: 1_000, timeLimit: 10_000 }),
    activity: () => ({ busy: h.busy, seen: h.seen }),
    setClosing: (c: boolean) => { h.closing = c; },
    finish: (end: DrainEnd) => { h.ended.push(end); },
  };
  return h;
}

beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_700_000_000_000 }));
test.afterEach(() => mock.timers.reset());

test('a drain closes connections, waits for quiet, writes 7200 then 7202 and stops the host once', () => {
  const host = fakeHost();
  const drain = new HostDrain(host);
  const statuses: string[] = [];
  drain.on('status', (s: string) => statuses.push(s));
  host.busy = 2;
  const s = drain.start();
  assert.equal(s.state, 'draining');
  assert.equal(drain.draining, true);
  assert.equal(host.closing, true);
  assert.equal(s.deadline, new Date(1_700_000_010_000).toISOString());
  mock.timers.tick(3_000); // still busy: no exit
  assert.deepEqual(host.ended, []);
  host.busy = 0;
  host.seen = 4; // the last four answered
  mock.timers.tick(200);
  assert.deepEqual(host.ended, []);
  mock.timers.tick(1_000);
  assert.deepEqual(host.ended, ['idle']);
  assert.equal(drain.snapshot().state, 'stopping');
  assert.equal(drain.snapshot().requestsSince, 4);
  mock.timers.tick(5_000);
  assert.deepEqual(host.ended, ['idle'], 'finished once');
  const ids = events.query({ limit: 100 }).map((e) => e.id).filter((id) => id >= 7200);
  assert.deepEqual(ids, [EventIds.DrainStarted, EventIds.DrainFinished]);
  assert.match(statuses[0], /^Draining since \d\d:\d\d:\d\d UTC: readiness 503 for every pool, 2 request\(s\) busy; exits when quiet for 1 s/);
  assert.equal(statuses.at(-1), 'Drained: quiet, stopping');
  assert.throws(() => drain.cancel(), { code: 'Conflict' });
  assert.throws(() => drain.start(), { code: 'Conflict' });
});

test('the deadline stops a host that never gets quiet; a second drain may change it', () => {
  const host = fakeHost();
  const drain = new HostDrain(host);
  host.busy = 1;
  drain.start({ timeLimit: 60_000 });
  const s = drain.start({ timeLimit: 2_000 });
  assert.equal(s.timeLimit, 2_000);
  mock.timers.tick(1_900);
  assert.deepEqual(host.ended, []);
  mock.timers.tick(200);
  assert.deepEqual(host.ended, ['deadline']);
  assert.equal(statusLine(drain.snapshot()), 'Drain deadline reached: stopping');
});

test('cancel puts the host back in rotation and nothing stops it', () => {
  const host = fakeHost();
  const drain = new HostDrain(host);
  assert.equal(drain.cancel().state, 'serving', 'cancelling a host that is not draining changes nothing');
  drain.start();
  const s = drain.cancel();
  assert.equal(s.state, 'serving');
  assert.equal(drain.draining, false);
  assert.equal(host.closing, false);
  mock.timers.tick(20_000);
  assert.deepEqual(host.ended, []);
  assert.equal(events.query({ id: EventIds.DrainCancelled, limit: 10 }).length, 1);
  assert.equal(statusLine(s), '');
});
