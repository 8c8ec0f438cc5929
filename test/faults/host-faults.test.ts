/**
 * Faults of the host itself: the host process killed with SIGKILL under load and started again,
 * and a disk that refuses the host's log writes. The first runs the host as its own process
 * (`paddock run`), the second in this process, beside the usual faulty-and-healthy pool pair.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { stringify } from 'yaml';
import { alive, get, helloPool, repoRoot, waitFor } from '../helpers/test-host.ts';
import { EventIds } from '../../src/events/event-ids.ts';
import { faultScenario } from './harness.ts';
import { describeLoad, steadyLoad } from './steady-load.ts';

const cli = join(repoRoot, 'src/cli/main.ts');

/** One event as the host echoes it on stdout (event-log.ts). */
interface EventLine {
  readonly time: string;
  readonly event: number;
  readonly pool: string | null;
  readonly pid: number | null;
  readonly msg: string;
}

/** A `paddock run` child and the events it has printed so far. */
interface HostProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly events: EventLine[];
  /** Resolves when the process has exited and its stdout is read to the end. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startHostProcess(configFile: string): Promise<HostProcess> {
  const child = spawn(process.execPath, [cli, 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: EventLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    try {
      events.push(JSON.parse(line) as EventLine);
    } catch {
      // not an event line
    }
  });
  const ended = new Promise<void>((resolve) => lines.once('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const done = Promise.all([exited, ended]).then(([e]) => e);
  const started = await waitFor(() => events.find((e) => e.event === EventIds.HostStarted) ?? (child.exitCode !== null ? 'exited' : null), 20_000, 'the host to start');
  assert.notEqual(started, 'exited', `the host exited at start: ${stderr}`);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec((started as EventLine).msg)?.[1]);
  assert.ok(port > 0, (started as EventLine).msg);
  return { child, port, events, done };
}

/** Every stored event, keyed by what the stdout line carries too. */
function storedEvents(file: string): { keys: Set<string>; integrity: string; count: number } {
  // Read-only: the WAL the killed host left is read, not checkpointed away before the next host.
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    const rows = db.prepare('SELECT id, time, message FROM events').all() as Array<{ id: number; time: string; message: string }>;
    return { keys: new Set(rows.map((r) => key(r.time, r.id, r.message))), integrity, count: rows.length };
  } finally {
    db.close();
  }
}

function key(time: string, id: number, message: string): string {
  return `${time} ${id} ${message}`;
}

function missing(lines: readonly EventLine[], stored: Set<string>): EventLine[] {
  return lines.filter((e) => !stored.has(key(e.time, e.event, e.msg)));
}

test('the host killed with SIGKILL under load: no worker survives, no committed event is lost, and a new host serves every pool', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-hostkill-'));
  const configFile = join(dir, 'paddock.yaml');
  writeFileSync(configFile, stringify({
    dataDir: dir,
    listen: ['127.0.0.1:0'],
    admin: { socket: join(dir, 'admin.sock') },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/web', pool: 'web' }, { path: '/churn', pool: 'churn' }] }],
    pools: {
      web: helloPool({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }),
      // Recycled every 25 requests: under load it writes events all the time, so the kill lands
      // while the event log is busy.
      churn: helloPool({ startMode: 'AlwaysRunning', recycling: { periodicRestart: { requests: 25 } }, failure: { rapidFailProtectionMaxCrashes: 100 } }),
    },
  }));
  const children: ChildProcess[] = [];
  try {
    const first = await startHostProcess(configFile);
    children.push(first.child);
    await waitFor(() => first.events.filter((e) => e.event === EventIds.WorkerReady).length >= 3, 15_000, 'three workers ready');
    const url = `http://127.0.0.1:${first.port}`;
    const loads = [steadyLoad(`${url}/web`), steadyLoad(`${url}/churn`)];
    await waitFor(() => first.events.filter((e) => e.event === EventIds.RecycleRequests).length >= 3 && first.events.filter((e) => e.event === EventIds.WorkerStarted).length >= 6, 20_000, 'the churn pool to recycle under load');

    first.child.kill('SIGKILL');
    const end = await first.done;
    assert.equal(end.signal, 'SIGKILL');
    await Promise.all(loads.map((l) => l.stop())); // their failures are the kill's, expected

    // Every worker the old host ever started is gone (setpriv --pdeathsig KILL, the control channel).
    const pids = [...new Set(first.events.filter((e) => e.event === EventIds.WorkerStarted).map((e) => e.pid!))];
    assert.ok(pids.length >= 6, `workers started: ${pids.length}`);
    await waitFor(() => pids.every((p) => !alive(p)), 10_000, `the old host's workers (${pids.filter(alive).join(', ')}) to exit`);

    // Each event line was printed after its insert committed: every one is in the file the killed
    // host left behind, and the file is sound.
    const dbFile = join(dir, 'events.db');
    const left = storedEvents(dbFile);
    assert.equal(left.integrity, 'ok');
    assert.deepEqual(missing(first.events, left.keys), [], 'no committed event lost');

    const second = await startHostProcess(configFile);
    children.push(second.child);
    const url2 = `http://127.0.0.1:${second.port}`;
    for (const pool of ['web', 'churn']) {
      const r = await get(`${url2}/${pool}`);
      assert.equal(r.status, 200, `${pool}: ${r.status} ${r.body}`);
    }
    const after = storedEvents(dbFile);
    assert.equal(after.integrity, 'ok');
    assert.deepEqual(missing(first.events, after.keys), [], 'the restarted host kept every event of the old one');
    assert.deepEqual(missing(second.events, after.keys), [], 'and adds its own');
    assert.ok(after.count >= first.events.length + second.events.length);

    second.child.kill('SIGTERM');
    assert.equal((await second.done).code, 0);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full disk under the logs: the front door keeps serving, says what it cannot record (7006), and records again once there is room', async (t) => {
  const faulty = await faultScenario(t, { faulty: helloPool() }, async (s) => {
    const logs = join(s.h.dir, 'logs');
    const poolLog = s.h.host.supervisor.logFile('faulty');
    const accessLog = join(logs, 'access.log');
    // The pool's file opens on its first write, and nothing has been written yet. The access log
    // already holds the warm-up's requests; it notices its path replaced at the next batch.
    assert.ok(!existsSync(poolLog), 'the pool log is not open yet');
    mkdirSync(logs, { recursive: true });
    rmSync(accessLog, { force: true });
    // Every write to /dev/full fails with ENOSPC: a full disk, without root or a small filesystem.
    symlinkSync('/dev/full', poolLog);
    symlinkSync('/dev/full', accessLog);

    const flood = await get(s.faulty('/flood?mb=1'));
    assert.equal(flood.status, 200, 'a worker is never held up by a log the host cannot write');
    const lost = await s.h.waitForEvent(EventIds.OutputLogFailed, 'faulty');
    assert.match(String(lost.details.error), /ENOSPC/);
    assert.match(lost.message, /cannot be written/);

    assert.equal((await get(`${s.h.url}/nowhere`)).status, 404, 'a refusal, which goes to the access log');
    const refused = await waitFor(() => s.h.events(EventIds.OutputLogFailed).find((e) => e.pool === null), 5_000, 'event 7006 for the access log');
    assert.match(refused.message, /access log cannot be written/);

    // More output while the disk is full is let through and dropped, and reported once, not per line.
    assert.equal((await get(s.faulty('/flood?mb=20'))).status, 200);
    assert.equal(s.h.events(EventIds.OutputLogFailed, 'faulty').length, 1, 'one event per streak of failures');

    // Room again: both logs record again on their own.
    unlinkSync(poolLog);
    unlinkSync(accessLog);
    await waitFor(async () => {
      await get(s.faulty('/flood?mb=0.001'));
      return existsSync(poolLog) && readFileSync(poolLog, 'latin1').includes(' stdout f');
    }, 15_000, 'the worker output to be recorded again');
    await waitFor(async () => {
      await get(`${s.h.url}/nowhere`);
      return existsSync(accessLog) && readFileSync(accessLog, 'latin1').includes('/nowhere');
    }, 15_000, 'refusals to be recorded again');
  });
  assert.equal(faulty.failed, 0, `the faulty pool served on: ${describeLoad(faulty)}`);
});
