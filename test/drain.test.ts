/**
 * `paddock drain` against a real host: readiness 503 for every pool on the health binding, answers
 * with `Connection: close`, and the host stops on its own once quiet or at the deadline; `--cancel`
 * puts it back; `--wait` returns once the host has gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { startTestHost, get, helloPool, repoRoot, waitFor, type TestHost } from './helpers/test-host.ts';
import { call } from '../src/admin/test-http.ts';
import { EventLog } from '../src/events/event-log.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { steadyLoad } from './faults/steady-load.ts';

function drainingHost(drain: Record<string, unknown>): Promise<TestHost> {
  return startTestHost({
    health: { listen: '127.0.0.1:0' },
    drain,
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/off', pool: 'off' }] }],
    pools: { web: helloPool(), off: helloPool({ autoStart: false }) },
  });
}

function paddock(h: TestHost, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args, '--admin', join(h.dir, 'admin.sock')], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Resolves once the host has stopped by itself (the drain's end), after its whole shutdown. */
function stoppedByItself(h: TestHost): Promise<void> {
  return h.host.stopRequested.then(() => h.host.stop());
}

/** The events of a host that has stopped (its own log is closed), read from its database. */
function eventsOf(h: TestHost, id: number): ReturnType<EventLog['query']> {
  const log = EventLog.open(h.dir, { stdout: null });
  try {
    return log.query({ id, limit: 100 });
  } finally {
    log.close();
  }
}

test('a draining host answers with Connection: close, turns every readiness 503, and stops on its own once quiet', async () => {
  const h = await drainingHost({ idleTime: '400ms', timeLimit: '20s' });
  try {
    const health = { host: '127.0.0.1', port: h.host.health!.port };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(`${h.url}/`, { agent });
    assert.equal(before.status, 200);
    assert.equal(before.headers.connection, 'keep-alive');
    assert.equal((await call(health, 'GET', '/health/pools/web')).status, 200);
    // A request in hand keeps the host from being quiet while the drain is looked at, however slow
    // this machine is; it must be answered whole.
    const slow = get(`${h.url}/slow?ms=3000`, { agent: new Agent({ keepAlive: true }) });
    await waitFor(() => h.host.supervisor.workers('web').some((w) => w.inFlight > 0), 10_000, 'the slow request in hand');

    const r = await paddock(h, 'drain');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^host: draining since .*readiness is 503 for every pool.*exits once quiet for 0\.4 s/m);

    const web = await call(health, 'GET', '/health/pools/web');
    assert.deepEqual([web.status, web.json.reason, web.headers['paddock-readiness']], [503, 'draining', 'draining']);
    assert.equal((await call(health, 'GET', '/health/pools/off')).json.reason, 'admin', 'a stopped pool still says why');
    const live = await call(health, 'GET', '/health');
    assert.deepEqual([live.status, live.json.draining], [200, true]);

    // The host still serves, and closes each keep-alive connection after its answer.
    const during = await get(`${h.url}/`, { agent });
    assert.equal(during.status, 200);
    // RFC 9110 §7.6.1: Connection is a list; `close` in it ends the connection whatever else it holds.
    assert.match(String(during.headers.connection), /(^|,\s*)close$/);
    const refused = await get(`${h.url}/off/`, { agent });
    assert.deepEqual([refused.status, refused.headers.connection], [503, 'close'], "the front door's own answers say so too");
    agent.destroy();
    const slowAnswer = await slow;
    assert.deepEqual([slowAnswer.status, slowAnswer.headers.connection?.includes('close')], [200, true], 'the request in hand was answered, and its connection closed');

    const t0 = Date.now();
    await Promise.race([stoppedByItself(h), new Promise((_, reject) => setTimeout(() => reject(new Error('the host did not stop on its own')), 10_000))]);
    assert.ok(Date.now() - t0 < 5_000, `stopped ${Date.now() - t0} ms after the last request`);
    assert.equal(h.host.drain.snapshot().end, 'idle');
    const finished = eventsOf(h, EventIds.DrainFinished);
    assert.equal(finished.length, 1);
    assert.equal(finished[0].details.end, 'idle');
    assert.equal(finished[0].details.requestsSince, 2, 'the two requests sent while draining');
    assert.equal(eventsOf(h, EventIds.DrainStarted).length, 1);
  } finally {
    await h.stop();
  }
});

test('a host that never gets quiet stops at the drain deadline', async () => {
  const h = await drainingHost({ idleTime: '5s', timeLimit: '20s' });
  const loadOn = steadyLoad(`${h.url}/`, { concurrency: 2, paceMs: 20 });
  try {
    await waitFor(() => loadOn.snapshot().ok > 5, 10_000, 'the load to be served');
    // --time-limit overrides drain.timeLimit for this drain.
    const r = await paddock(h, 'drain', '--time-limit', '800ms', '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { state: string; timeLimit: number; startedAt: string };
    assert.deepEqual([s.state, s.timeLimit], ['draining', 800]);
    await stoppedByItself(h);
    // Measured from the drain's own start: the CLI takes a while to return on a busy machine.
    const took = Date.now() - Date.parse(s.startedAt);
    assert.ok(took >= 800 && took < 8_000, `stopped ${took} ms after the drain began`);
    assert.equal(h.host.drain.snapshot().end, 'deadline');
    assert.equal(eventsOf(h, EventIds.DrainFinished)[0].details.end, 'deadline');
  } finally {
    await loadOn.stop();
    await h.stop();
  }
});

test('drain --cancel puts the host back in rotation; drain --wait returns once the host has gone', async () => {
  const h = await drainingHost({ idleTime: '300ms', timeLimit: '20s' });
  try {
    const health = { host: '127.0.0.1', port: h.host.health!.port };
    // A load keeps it busy while it is drained and cancelled, so it cannot stop meanwhile.
    const loadOn = steadyLoad(`${h.url}/`, { concurrency: 1, paceMs: 20 });
    await waitFor(() => loadOn.snapshot().ok > 3, 10_000, 'the load to be served');
    assert.equal((await paddock(h, 'drain')).code, 0);
    assert.equal((await call(health, 'GET', '/health/pools/web')).status, 503);
    assert.match((await paddock(h, 'status')).stdout, /^host: ok, pid \d+, draining \(out of rotation/m);
    const c = await paddock(h, 'drain', '--cancel');
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), 'host: drain cancelled; back in rotation');
    assert.equal((await call(health, 'GET', '/health/pools/web')).status, 200);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await get(`${h.url}/`, { agent })).headers.connection, 'keep-alive');
    agent.destroy();
    assert.equal((await paddock(h, 'drain', '--cancel')).stdout.trim(), 'host: was not draining; serving');
    const load = await loadOn.stop();
    assert.equal(load.failed, 0);
    assert.equal(h.events(EventIds.DrainCancelled).length, 1);

    const w = await paddock(h, 'drain', '--wait');
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /^host: draining since .*\nhost: exited( \(drained\))?\n$/s);
    await stoppedByItself(h);
  } finally {
    await h.stop();
  }
});
