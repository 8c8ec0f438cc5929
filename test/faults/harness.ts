/**
 * The shape every fault scenario shares: a host (in this process) with a faulty pool beside a
 * healthy one, steady GET load on both, the fault, then the proof — the faulty pool recovered or
 * was stopped by rapid-fail, the other pool served every request, and the host's own footprint
 * (RSS after a full GC, open file descriptors) came back to where it was before the fault.
 *
 * Routes: `/faulty…` goes to pool `faulty`, `/other…` to pool `other`; the hello fixture answers
 * by the last path segment, so `/faulty/throw` reaches its /throw route.
 */
import assert from 'node:assert/strict';
import { globalAgent } from 'node:http';
import type { TestContext } from 'node:test';
import { startTestHost, get, helloPool, waitFor, type TestHost } from '../helpers/test-host.ts';
import type { WorkerSnapshot } from '../../src/admin/host-control.ts';
import { backToBaseline, defaultSlack, footprint, mb, type Footprint, type Slack } from './footprint.ts';
import { describeLoad, steadyLoad, type LoadResult, type RunningLoad } from './steady-load.ts';

export interface FaultHostOptions {
  /** The faulty pool's config. */
  readonly faulty: Record<string, unknown>;
  /** Mount the faulty pool with `stripPrefix: true` (a FastCGI pool finds its scripts under `/`). Default false. */
  readonly faultyStripPrefix?: boolean;
  /** The healthy pool beside it. Default: the hello fixture. */
  readonly other?: Record<string, unknown>;
  /** More top-level config keys (logs, …). */
  readonly config?: Record<string, unknown>;
  /** Whether the faulty pool serves before the fault (warm it up and load it from the start). Default true. */
  readonly faultyServes?: boolean;
  /** Loops per pool. Default 2. */
  readonly concurrency?: number;
  /**
   * Rest after each request of the loads (LoadOptions.paceMs). Default 0: flat out, which keeps a
   * request in hand almost always. Scenarios that measure the host moving bulk data pace the
   * loads, because they share this process's event loop with the host.
   */
  readonly paceMs?: number;
}

/** A running scenario: the host, its two pools under load, and the baseline taken before the fault. */
export interface FaultHost {
  readonly h: TestHost;
  readonly baseline: Footprint;
  /** The faulty pool's URL for `path` ("" for its greeting, "/throw" for a route). */
  faulty(path?: string): string;
  other(path?: string): string;
  /** The faulty pool's load (null until started: see `startFaultyLoad`). */
  readonly faultyLoad: RunningLoad | null;
  readonly otherLoad: RunningLoad;
  /** Starts the faulty pool's load (started with the scenario unless `faultyServes` is false). */
  startFaultyLoad(): RunningLoad;
  /** Workers of the faulty pool. */
  workers(): WorkerSnapshot[];
  /** The faulty pool's ready worker (waits for one). */
  readyWorker(timeoutMs?: number): Promise<WorkerSnapshot>;
  /**
   * Waits until a worker other than `pid` is ready and the faulty pool answers 200 (not from
   * `pid`), and its load has seen 200s again since the call; returns the ready worker's pid.
   */
  servesAgain(pid: number | null, timeoutMs?: number): Promise<number>;
  /** Stops both loads; asserts the other pool served every request. Returns the faulty pool's result. */
  stopLoads(): Promise<LoadResult>;
}

const pidPattern = /pid (\d+)/;

/** The pid in a greeting such as "hello from web-1 pid 1234"; null when there is none. */
export function pidIn(body: string): number | null {
  const m = pidPattern.exec(body);
  return m ? Number(m[1]) : null;
}

/**
 * Runs one fault scenario: starts the host, warms both pools, takes the baseline footprint, starts
 * the loads, runs `inject` (the fault and its own assertions), stops the loads, asserts the other
 * pool lost nothing, waits for the footprint to return, and stops the host whatever happened.
 * The loads and footprints go to the test's diagnostics. Returns the faulty pool's load result for
 * the scenario to judge.
 */
export async function faultScenario(t: TestContext, options: FaultHostOptions, inject: (s: FaultHost) => Promise<void>, slack: Slack = defaultSlack): Promise<LoadResult> {
  const h = await startTestHost({
    sites: [{ name: 'faults', hosts: ['*'], apps: [{ path: '/faulty', pool: 'faulty', ...(options.faultyStripPrefix ? { stripPrefix: true } : {}) }, { path: '/other', pool: 'other' }] }],
    pools: { faulty: options.faulty, other: options.other ?? helloPool() },
    ...options.config,
  });
  const loads: RunningLoad[] = [];
  try {
    const url = (pool: string) => (path = '') => `${h.url}/${pool}${path}`;
    const faultyServes = options.faultyServes ?? true;
    const concurrency = options.concurrency ?? 2;
    // Warm up on connections that close after each request, so no idle connection to a worker
    // is left in the baseline; a short burst also lets the heap reach its working size.
    await warm(url('other')(), concurrency);
    if (faultyServes) await warm(url('faulty')(), concurrency);
    const baseline = footprint();
    let faultyLoad: RunningLoad | null = null;
    const startFaultyLoad = (): RunningLoad => {
      faultyLoad ??= steadyLoad(url('faulty')(), { concurrency, paceMs: options.paceMs });
      if (!loads.includes(faultyLoad)) loads.push(faultyLoad);
      return faultyLoad;
    };
    const otherLoad = steadyLoad(url('other')(), { concurrency, paceMs: options.paceMs });
    loads.push(otherLoad);
    if (faultyServes) startFaultyLoad();
    const s: FaultHost = {
      h,
      baseline,
      faulty: url('faulty'),
      other: url('other'),
      get faultyLoad() {
        return faultyLoad;
      },
      otherLoad,
      startFaultyLoad,
      workers: () => h.host.supervisor.workers('faulty'),
      readyWorker: (timeoutMs = 10_000) => waitFor(() => h.host.supervisor.workers('faulty').find((w) => w.state === 'ready'), timeoutMs, 'a ready worker of the faulty pool'),
      servesAgain: async (pid, timeoutMs = 15_000) => {
        const since = faultyLoad?.snapshot().ok ?? 0;
        const fresh = await waitFor(async () => {
          const ready = h.host.supervisor.workers('faulty').find((w) => w.state === 'ready' && w.pid !== pid);
          if (ready === undefined) return null;
          const r = await get(url('faulty')(), { timeoutMs }).catch(() => null);
          if (r?.status !== 200) return null;
          // Fixtures that name their pid must not name the old one; the others just answer 200.
          const answered = pidIn(r.body);
          return answered !== null && answered === pid ? null : ready.pid!;
        }, timeoutMs, 'the faulty pool to serve from a new worker');
        if (faultyLoad !== null) await waitFor(() => faultyLoad!.snapshot().ok >= since + 3, timeoutMs, 'the faulty pool\'s load to be served again');
        return fresh;
      },
      stopLoads: async () => {
        const [other, faulty] = await Promise.all([otherLoad.stop(), faultyLoad?.stop()]);
        assert.equal(other.failed, 0, `the other pool failed requests: ${describeLoad(other)}`);
        assert.ok(other.ok > 0, 'the other pool served the load');
        return faulty ?? { ok: 0, failed: 0, outcomes: {}, failures: [] };
      },
    };
    await inject(s);
    const result = await s.stopLoads();
    const other = await otherLoad.stop();
    // Spend the idle connections the loads left to each worker (one `Connection: close` request
    // each), so the wait below need not sit out the upstream idle timeout.
    await Promise.all([closing(url('other')(), concurrency), closing(url('faulty')(), concurrency)]);
    // The scenario's own single requests kept their connections in Node's global agent: close them,
    // so every descriptor left is the host's.
    globalAgent.destroy();
    const after = footprint();
    const settled = await backToBaseline(baseline, slack);
    t.diagnostic(`other pool: ${describeLoad(other)}; faulty pool: ${describeLoad(result)}`);
    const fp = (f: Footprint): string => `${f.fds} fds, held ${mb(f.heldBytes)}, RSS ${mb(f.rssBytes)}`;
    t.diagnostic(`host footprint: baseline ${fp(baseline)}; after the fault ${fp(after)}; settled ${fp(settled)}`);
    return result;
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
    await h.stop();
  }
}

/** `n` concurrent requests that close their connections; failures do not matter here. */
async function closing(url: string, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => get(url, { headers: { connection: 'close' }, timeoutMs: 5_000 }).catch(() => null)));
}

/** A short burst of requests on non-persistent connections; every one must succeed. */
async function warm(url: string, concurrency: number): Promise<void> {
  const rounds = 25;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < rounds; i++) {
      const r = await get(url, { headers: { connection: 'close' } });
      assert.equal(r.status, 200, `warm-up of ${url}: ${r.status} ${r.body}`);
    }
  }));
}
