/**
 * Native crashes: a C worker built by the test dereferences NULL; the host raises its core limit,
 * finds the core, and gdb names the faulting function. And `paddock debug POOL --next-crash`, which
 * arms the same capture for a pool until its next crash.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHost, get, fixtures, repoRoot, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { gdbPath } from '../src/diagnostics/gdb.ts';
import { readCorePattern } from '../src/diagnostics/core-dumps.ts';
import type { CrashReport, NextCrashState } from '../src/diagnostics/report-types.ts';

const build = mkdtempSync(join(tmpdir(), 'pdk-segv-'));
// Under root the pool runs as an ApplicationPoolIdentity: with core_pattern "core" the kernel writes
// the core into the worker's cwd as the worker's uid, so that folder is writable by it (sticky, as /tmp).
chmodSync(build, 0o1777);
const binary = join(build, 'segv');
let compiled: string | null = null;
try {
  execFileSync('gcc', ['-g', '-O0', '-o', binary, join(fixtures, 'segv.c')], { stdio: 'pipe' });
} catch (err) {
  compiled = `gcc could not build test/fixtures/segv.c: ${(err as Error).message}`;
}
const corePattern = readCorePattern();
/** Why a core cannot be captured on this machine, or null. */
const noCores = corePattern === null ? 'kernel.core_pattern is unreadable' : corePattern.piped ? `core_pattern pipes cores to ${corePattern.pattern}` : null;

let h: TestHost;
before(async () => {
  if (compiled !== null) return;
  const segvPool = (after: number, coreDumps: boolean): Record<string, unknown> => ({
    command: [binary],
    runtime: 'generic',
    cwd: build,
    env: { SEGV_AFTER_MS: String(after) },
    processModel: { startupTimeLimit: '10s', shutdownTimeLimit: '2s' },
    failure: { rapidFailProtectionMaxCrashes: 50 },
    diagnostics: { coreDumps },
  });
  h = await startTestHost({
    sites: [{ name: 'main', hosts: ['*'], apps: [{ path: '/', pool: 'native' }, { path: '/armed', pool: 'armed' }] }],
    pools: { native: segvPool(300, true), armed: segvPool(3000, false) },
  });
});
after(async () => {
  await h?.stop();
  rmSync(build, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'src/cli/main.ts'), '--admin', join(h.dir, 'admin.sock'), ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The soft core limit of a process, as /proc/<pid>/limits writes it ("0", "unlimited"). */
function softCoreLimit(pid: number | 'self'): string {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max core file size'))!;
  return line.trim().split(/\s{2,}/)[1];
}

async function reportOf(pool: string, n: number): Promise<CrashReport> {
  const e = await h.waitForEvent(EventIds.CrashReport, pool, 60_000, n);
  assert.equal(e.level, 'info', e.message);
  return h.host.supervisor.crash(String(e.details.report));
}

test("a C worker's NULL dereference gets a gdb backtrace naming the faulting function", async (t) => {
  if (compiled !== null) return t.skip(compiled);
  // POST: the front door does not retry it, so exactly one worker starts and crashes.
  const r = await get(`${h.url}/`, { method: 'POST' });
  assert.equal(r.status, 502);
  const report = await reportOf('native', 1);
  assert.equal(report.exit?.signal, 'SIGSEGV');
  assert.ok(report.stderrTail.includes('about to dereference NULL'), report.stderrTail.join('\n'));
  if (noCores !== null) {
    assert.equal(report.core?.status, 'piped');
    assert.match(report.core?.note ?? '', /core_pattern sends cores to/);
    return t.skip(`${noCores}: this machine cannot give the host a core file`);
  }
  if (gdbPath === null) {
    assert.equal(report.core?.status, 'kept', 'without gdb the core is kept for later');
    return t.skip('gdb is not installed (apt-get install gdb); the CI installs it');
  }
  assert.equal(report.stackSource, 'gdb-core', report.notes.join('\n'));
  assert.equal(report.error.type, 'SIGSEGV');
  assert.equal(report.error.message, 'Segmentation fault');
  assert.equal(report.stack[0].function, 'dereferenceNull');
  assert.match(report.stack[0].file ?? '', /segv\.c$/);
  assert.equal(report.stack[1].function, 'main');
  assert.equal(report.top[0], 'dereferenceNull (segv.c)');
  assert.ok(report.threads.length >= 1);
  assert.match(report.rawStack ?? '', /dereferenceNull \(p=0x0\)/);
  assert.equal(report.core?.status, 'deleted', 'keepCores is off');
  assert.deepEqual(readdirSync(build).filter((f) => f.startsWith('core')), [], 'the core was removed from the worker directory');
});

test('`paddock debug POOL --next-crash` raises the core limit of running workers, keeps the next crash\'s core, then disarms', async (t) => {
  if (compiled !== null) return t.skip(compiled);
  const first = get(`${h.url}/armed`, { method: 'POST' });
  const ready = await h.waitForEvent(EventIds.WorkerReady, 'armed');
  const armed = await cli(['debug', 'armed', '--next-crash', '--json']);
  assert.equal(armed.code, 0, armed.stderr);
  const state = JSON.parse(armed.stdout) as NextCrashState;
  assert.equal(state.armed, true);
  assert.deepEqual(state.workers.map((w) => w.pid), [ready.pid]);
  assert.equal(state.workers[0].coreLimitRaised, true, state.workers[0].note ?? '');
  assert.equal(softCoreLimit(ready.pid!), 'unlimited');

  assert.equal((await first).status, 502);
  const report = await reportOf('armed', 1);
  assert.equal(report.armed, true);
  assert.equal(report.exit?.signal, 'SIGSEGV');
  if (noCores !== null) return t.skip(`${noCores}: this machine cannot give the host a core file`);
  assert.equal(report.core?.status, 'kept', report.core?.note ?? '');
  assert.ok(report.core?.path?.startsWith(join(h.dir, 'crashes', 'cores')), report.core?.path ?? '');
  assert.ok(existsSync(report.core!.path!));
  if (gdbPath !== null) assert.equal(report.stack[0].function, 'dereferenceNull');

  // Disarmed after that crash: the next worker keeps the host's own core limit, and its crash has no core.
  const second = get(`${h.url}/armed`, { method: 'POST' });
  const next = await h.waitForEvent(EventIds.WorkerReady, 'armed', 15_000, 2);
  await new Promise((r) => setTimeout(r, 300)); // the limit would be raised right after the spawn
  assert.equal(softCoreLimit(next.pid!), softCoreLimit('self'));
  await second;
  const later = await reportOf('armed', 2);
  assert.equal(later.armed, false);
  assert.equal(later.core?.status, 'off');
});
