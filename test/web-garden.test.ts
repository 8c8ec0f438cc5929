/**
 * Web gardens (IIS maxProcesses > 1): the load spreads over every worker, and a pool recycle
 * replaces the workers one at a time, so the garden never has fewer than N-1 ready workers.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHost, load, helloPool, oneSite, waitFor, alive, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import type { WorkerSnapshot } from '../src/admin/host-control.ts';

const N = 3;

let h: TestHost | null = null;
/** Loads still running: a failed test stops them before its host goes. */
const loads: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(loads.splice(0).map((l) => l.stop()));
  await h?.stop();
  h = null;
});

/** The harness's continuous load, stopped by the hook above even when a test fails. */
function countingLoad(url: string, concurrency: number): ReturnType<typeof load> {
  const handle = load(url, concurrency);
  loads.push(handle);
  return handle;
}

/** Samples the garden every 20 ms until `done` holds; returns the fewest ready workers seen, and more. */
async function sampleUntil(pool: string, done: (ws: readonly WorkerSnapshot[]) => boolean, timeoutMs: number): Promise<{ minReady: number; maxStarting: number; maxWorkers: number; samples: number }> {
  let minReady = Infinity;
  let maxStarting = 0;
  let maxWorkers = 0;
  let samples = 0;
  const trace: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ws = h!.host.supervisor.workers(pool);
    const ready = ws.filter((w) => w.state === 'ready').length;
    const starting = ws.filter((w) => w.state === 'starting').length;
    minReady = Math.min(minReady, ready);
    maxStarting = Math.max(maxStarting, starting);
    maxWorkers = Math.max(maxWorkers, ws.length);
    samples++;
    const line = ws.map((w) => `${w.pid}:${w.state}`).join(' ');
    if (trace.at(-1) !== line) trace.push(line);
    if (done(ws)) return { minReady, maxStarting, maxWorkers, samples };
    if (Date.now() > deadline) throw new Error(`garden did not settle in ${timeoutMs} ms; states seen:\n${trace.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when the garden is N ready workers, none of them in `old`. */
function renewed(old: ReadonlySet<number>): (ws: readonly WorkerSnapshot[]) => boolean {
  return (ws) => ws.length === N && ws.every((w) => w.state === 'ready' && !old.has(w.pid!));
}

test('a web garden of 3 spreads continuous load over 3 workers', async () => {
  h = await startTestHost({ sites: oneSite('web'), pools: { web: helloPool({ processModel: { maxProcesses: N } }) } });
  // Requests that take a while keep several in flight, so the garden grows to N on demand.
  const running = countingLoad(`${h.url}/slow?ms=40`, 6);
  await waitFor(() => h!.host.supervisor.workers('web').filter((w) => w.state === 'ready').length === N, 10_000, `${N} ready workers`);
  await waitFor(() => h!.host.supervisor.workers('web').every((w) => w.requests >= 10), 10_000, 'every worker served 10 requests');
  const result = await running.stop();
  assert.equal(result.failed, 0, `failed requests: ${result.failures.join('; ')}`);
  const pids = h.host.supervisor.workers('web').map((w) => w.pid!).sort();
  assert.deepEqual([...result.byPid.keys()].sort(), pids, 'every answer came from one of the 3 workers');
  for (const [pid, n] of result.byPid) assert.ok(n >= 10, `pid ${pid} served ${n}`);
  assert.equal(h.events(EventIds.WorkerStarted, 'web').length, N, 'no more than maxProcesses were started');
});

/**
 * A garden of N always-running workers recycled by an administrator under continuous load:
 * no request fails and never fewer than N-1 workers are ready. Returns the old pids and what
 * sampling saw, for the checks particular to each kind of recycle.
 */
async function recycleGardenUnderLoad(recycling: Record<string, unknown>) {
  h = await startTestHost({ sites: oneSite('web'), pools: { web: helloPool({ startMode: 'AlwaysRunning', processModel: { maxProcesses: N }, recycling }) } });
  await waitFor(() => h!.host.supervisor.workers('web').filter((w) => w.state === 'ready').length === N, 10_000, `${N} ready workers`);
  const old = new Set(h.host.supervisor.workers('web').map((w) => w.pid!));
  const running = countingLoad(`${h.url}/slow?ms=20`, 6);
  await new Promise((r) => setTimeout(r, 200));
  await h.host.supervisor.recyclePool('web');
  const seen = await sampleUntil('web', renewed(old), 15_000);
  const result = await running.stop();
  assert.equal(result.failed, 0, `failed requests: ${result.failures.join('; ')}`);
  assert.ok(seen.minReady >= N - 1, `fewest ready workers seen: ${seen.minReady}`);
  return { old, seen };
}

test('a web garden recycle (overlapping) replaces one worker at a time: never fewer than N-1 ready, no request fails', async () => {
  const { old, seen } = await recycleGardenUnderLoad({});
  assert.ok(seen.maxStarting <= 1, `replacements started at once: ${seen.maxStarting}`);
  // One replacement starting, plus at most one old worker still finishing its drain.
  assert.ok(seen.maxWorkers <= N + 2, `most workers at once: ${seen.maxWorkers}`);
  const recycles = h!.events(EventIds.RecycleAdmin, 'web');
  assert.deepEqual(recycles.map((e) => e.pid).sort(), [...old].sort(), 'one 5079 per worker');
  for (const pid of old) assert.equal(alive(pid), false);
});

test('a web garden recycle with disallowOverlappingRotation drains one worker at a time: never fewer than N-1 ready', async () => {
  const { seen } = await recycleGardenUnderLoad({ disallowOverlappingRotation: true });
  assert.ok(seen.maxWorkers <= N, `most workers at once: ${seen.maxWorkers}`);
});
