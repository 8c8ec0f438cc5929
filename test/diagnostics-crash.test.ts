/**
 * Crash reports of Node workers: the uncaught exception's report, buckets of the same and of
 * another bug, what abort() leaves, secrets kept out, and the admin API and CLI that serve them.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestHost, get, fixtures, repoRoot, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import type { CrashBucket, CrashReport } from '../src/diagnostics/report-types.ts';

const SECRET = 'hunter2-xyz-do-not-leak';
let h: TestHost;

before(async () => {
  h = await startTestHost({
    sites: [{ name: 'main', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: {
      web: {
        command: ['node', join(fixtures, 'diagnostics-worker.mjs')],
        env: { SECRET_TOKEN: SECRET },
        processModel: { startupTimeLimit: '10s', shutdownTimeLimit: '5s' },
        failure: { rapidFailProtectionMaxCrashes: 50 },
      },
    },
  });
});
after(() => h?.stop());

/** Sends a POST (never retried by the front door) that makes the worker crash; waits for report n. */
async function crashWith(path: string, n: number): Promise<CrashReport> {
  const r = await get(`${h.url}${path}`, { method: 'POST' });
  assert.equal(r.status, 502, `${path}: the request in hand when the worker died gets 502`);
  const e = await h.waitForEvent(EventIds.CrashReport, 'web', 15_000, n);
  assert.equal(e.level, 'info', e.message);
  return h.host.supervisor.crash(String(e.details.report));
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out = statSync(p).isDirectory() ? out.concat(filesUnder(p)) : out.concat([p]);
  }
  return out;
}

/** Runs the CLI against the test host's admin socket. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'src/cli/main.ts'), '--admin', join(h.dir, 'admin.sock'), ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test("an uncaught exception's report names the throwing function and the request in flight", async () => {
  // The app prints its secret before it crashes: the report must not repeat it.
  assert.equal((await get(`${h.url}/print-env?name=SECRET_TOKEN`)).status, 200);
  const report = await crashWith('/throw', 1);
  const crash = h.events(EventIds.WorkerCrashed, 'web')[0];

  assert.equal(report.kind, 'crash');
  assert.equal(report.pool, 'web');
  assert.equal(report.pid, crash.pid);
  assert.equal(report.triggerEventSeq, crash.seq, 'the report links the 5009 event');
  assert.equal(report.exit?.code, 1);
  assert.equal(report.stackSource, 'node-report');
  assert.equal(report.error.type, 'Error');
  assert.equal(report.error.message, 'exploded on purpose by /throw');
  assert.equal(report.stack[0].function, 'explodeOnPurpose');
  assert.match(report.stack[0].file ?? '', /diagnostics-worker\.mjs$/);
  assert.equal(report.top[0], 'explodeOnPurpose (diagnostics-worker.mjs)');
  const requests = [...report.requestsInFlight, ...report.requestsAbandoned];
  assert.ok(requests.includes('POST /throw'), `requests: ${JSON.stringify(requests)}`);
  assert.ok(report.requestsServed >= 2);
  assert.ok(report.stderrTail.some((l) => l.includes('exploded on purpose')), 'the stderr tail holds the error');
  assert.ok(report.stderrTail.some((l) => l.startsWith('SECRET_TOKEN=')), 'the printed line is kept');

  const event = h.events(EventIds.CrashReport, 'web')[0];
  assert.equal(event.details.bucket, report.bucket);
  assert.equal(event.worker, report.worker);
});

test('two crashes of one bug land in one bucket with count 2, a different bug in another', async () => {
  const second = await crashWith('/throw', 2);
  const other = await crashWith('/throw-other', 3);
  const first = h.host.supervisor.crash(String(h.events(EventIds.CrashReport, 'web')[0].details.report));
  assert.equal(second.bucket, first.bucket);
  assert.notEqual(second.id, first.id);
  assert.notEqual(other.bucket, first.bucket);
  assert.equal(other.error.type, 'TypeError');
  assert.equal(other.stack[0].function, 'parseOrder');

  const buckets = h.host.supervisor.crashes('web');
  const same = buckets.find((b) => b.bucket === first.bucket);
  const diff = buckets.find((b) => b.bucket === other.bucket);
  assert.equal(same?.count, 2);
  assert.equal(diff?.count, 1);
  assert.deepEqual(same?.pools, ['web']);
  assert.equal(buckets[0].bucket, other.bucket, 'newest first');
  assert.equal(h.host.supervisor.crash(first.bucket).id, second.id, 'a bucket id gives its newest report');
});

test('abort() leaves no Node report: the report says so and still has exit facts and tails', async () => {
  const report = await crashWith('/abort', 4);
  assert.equal(report.exit?.signal, 'SIGABRT');
  assert.ok(report.notes.some((n) => /abort\(\)/.test(n) && /no diagnostic report/.test(n)), report.notes.join('\n'));
  assert.equal(report.core?.status, 'off', 'core dumps are off by default');
  assert.ok(['POST /abort'].every((r) => [...report.requestsInFlight, ...report.requestsAbandoned].includes(r)));
});

test('a secret in the worker environment appears in no report file', () => {
  const files = [...filesUnder(join(h.dir, 'crashes')), ...filesUnder(join(h.dir, 'reports'))];
  assert.ok(files.some((f) => f.endsWith('.json')), 'reports were written');
  for (const f of files) assert.ok(!readFileSync(f).includes(SECRET), `${f} holds the secret`);
  const report = h.host.supervisor.crash(String(h.events(EventIds.CrashReport, 'web')[0].details.report));
  assert.ok(report.stderrTail.includes('SECRET_TOKEN=[redacted SECRET_TOKEN]'));
});

test('`paddock crashes --json` lists buckets and `paddock crash ID` shows one report', async () => {
  const list = await cli(['crashes', '--json', '--pool', 'web']);
  assert.equal(list.code, 0, list.stderr);
  const buckets = JSON.parse(list.stdout) as CrashBucket[];
  assert.ok(buckets.length >= 3);
  for (const b of buckets) {
    assert.deepEqual(Object.keys(b).filter((k) => ['bucket', 'kind', 'signature', 'count', 'firstSeen', 'lastSeen', 'pools', 'top'].includes(k)).length, 8);
    assert.equal(b.kind, 'crash');
  }
  const throwBucket = buckets.find((b) => b.top[0] === 'explodeOnPurpose (diagnostics-worker.mjs)');
  assert.equal(throwBucket?.count, 2);

  const one = await cli(['crash', throwBucket!.bucket]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /at explodeOnPurpose/);
  assert.match(one.stdout, /POST \/throw/);

  const table = await cli(['crashes']);
  assert.match(table.stdout, /BUCKET\s+KIND\s+COUNT/);

  const missing = await cli(['crash', 'no-such-report']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no crash report or bucket/);
});
