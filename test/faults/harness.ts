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
import { readdirSync, readlinkSync } from 'node:fs';
import { Agent } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestHost, get, helloPool, waitFor, type TestHost } from '../helpers/test-host.ts';
import type { WorkerSnapshot } from '../../src/admin/host-control.ts';

export const MB = 1024 * 1024;

// `node --test` starts each file without --expose-gc; the flag can still be set for new contexts.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

// ---- the host's footprint --------------------------------------------------------------------

/** What the host (this process) holds: resident memory after a full GC, and open descriptors. */
export interface Footprint {
  readonly rssBytes: number;
  readonly fds: number;
}

/** Open file descriptors of this process (/proc/self/fd, less the one readdir itself opens). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length - 1;
}

/** This process's footprint, measured after two full collections. */
export function footprint(): Footprint {
  collectGarbage();
  collectGarbage();
  return { rssBytes: process.memoryUsage.rss(), fds: openFds() };
}

/** How far above the baseline the footprint may settle (a fault must not leave a descriptor per crash). */
export interface Slack {
  readonly rssBytes: number;
  readonly fds: number;
}

/**
 * Default slack. RSS: the allocator keeps some freed pages and the heap some room after a burst of
 * load, which is noise, not a leak. FDs: idle keep-alive connections to workers close on their own
 * within ~5 s (upstream-pool.ts), so the wait below covers them and the slack stays small.
 */
export const defaultSlack: Slack = { rssBytes: 48 * MB, fds: 2 };

/** Waits (with a deadline) until the footprint is back within `slack` of `base`; returns it. */
export async function backToBaseline(base: Footprint, slack: Slack = defaultSlack, timeoutMs = 15_000): Promise<Footprint> {
  let last = footprint();
  try {
    return await waitFor(() => {
      last = footprint();
      return last.fds <= base.fds + slack.fds && last.rssBytes <= base.rssBytes + slack.rssBytes ? last : null;
    }, timeoutMs, 'the host footprint to return to its baseline');
  } catch {
    assert.fail(`the host's footprint did not return to its baseline: fds ${last.fds} (baseline ${base.fds}, slack ${slack.fds}), ` +
      `RSS ${mb(last.rssBytes)} (baseline ${mb(base.rssBytes)}, slack ${mb(slack.rssBytes)})\nopen: ${describeFds()}`);
  }
}

/** Samples this process's RSS (no GC) until stopped; returns the peak. */
export function watchRss(intervalMs = 50): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** Megabytes, for messages. */
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** What the open descriptors point at, grouped, for a failure message. */
function describeFds(): string {
  const kinds = new Map<string, number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.replace(/\[\d+\]$/, '[]');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${n}× ${k}`).join(', ');
}

// ---- load ------------------------------------------------------------------------------------

/** Outcomes of a steady load: counts by outcome ("200", "502", "503 AppOffline", "ECONNRESET", …). */
export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** The first few failures, in full. */
  readonly failures: readonly string[];
}

export interface RunningLoad {
  /** Counts so far. */
  snapshot(): LoadResult;
  stop(): Promise<LoadResult>;
}

export interface LoadOptions {
  /** Keep-alive loops. Default 2. */
  readonly concurrency?: number;
  /** A loop rests this long after a failure, so a refusing pool is not hammered. Default 20 ms. */
  readonly restAfterFailureMs?: number;
  /** A loop rests this long after every request: continuous, but not flat out. Default 0. */
  readonly paceMs?: number;
  readonly timeoutMs?: number;
}

/** The outcome name of one answer: the status, plus the front door's reason for a 503. */
function outcomeOf(status: number, body: string): string {
  if (status !== 503) return String(status);
  const reason = /\((\w+)\)\.?\s*$/.exec(body.trim())?.[1];
  return reason ? `503 ${reason}` : '503';
}

/** Continuous GETs of `url` on `concurrency` keep-alive connections until stop(). */
export function steadyLoad(url: string, options: LoadOptions = {}): RunningLoad {
  const concurrency = options.concurrency ?? 2;
  const rest = options.restAfterFailureMs ?? 20;
  const pace = options.paceMs ?? 0;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  let ok = 0;
  let failed = 0;
  let running = true;
  const count = (outcome: string, detail: string): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (outcome === '200') {
      ok++;
      return;
    }
    failed++;
    if (failures.length < 10) failures.push(detail);
  };
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      let good = false;
      try {
        const r = await get(url, { agent, timeoutMs: options.timeoutMs ?? 15_000 });
        count(outcomeOf(r.status, r.body), `${r.status} ${r.body.slice(0, 120).trim()}`);
        good = r.status === 200;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        count(e.code ?? 'error', e.message);
      }
      const pause = good ? pace : Math.max(rest, pace);
      if (pause > 0 && running) await new Promise((r) => setTimeout(r, pause));
    }
  });
  const snapshot = (): LoadResult => ({ ok, failed, outcomes: { ...outcomes }, failures: [...failures] });
  let stopped: Promise<LoadResult> | null = null;
  return {
    snapshot,
    stop: () => {
      stopped ??= (async () => {
        running = false;
        await Promise.all(loops);
        agent.destroy();
        return snapshot();
      })();
      return stopped;
    },
  };
}

/** Formats a load result for an assertion message. */
export function describeLoad(r: LoadResult): string {
  return `${r.ok} ok, ${r.failed} failed ${JSON.stringify(r.outcomes)}${r.failures.length ? `: ${r.failures.join(' | ')}` : ''}`;
}

// ---- the scenario --------------------------------------------------------------------------

export interface FaultHostOptions {
  /** The faulty pool's config. */
  readonly faulty: Record<string, unknown>;
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
 * Returns the faulty pool's load result for the scenario to judge.
 */
export async function faultScenario(options: FaultHostOptions, inject: (s: FaultHost) => Promise<void>, slack: Slack = defaultSlack): Promise<LoadResult> {
  const h = await startTestHost({
    sites: [{ name: 'faults', hosts: ['*'], apps: [{ path: '/faulty', pool: 'faulty' }, { path: '/other', pool: 'other' }] }],
    pools: { faulty: options.faulty, other: options.other ?? helloPool() },
    ...options.config,
  });
  const loads: RunningLoad[] = [];
  const tStart = Date.now();
  try {
    const url = (pool: string) => (path = '') => `${h.url}/${pool}${path}`;
    const faultyServes = options.faultyServes ?? true;
    const concurrency = options.concurrency ?? 2;
    // Warm up on connections that close after each request, so no idle connection to a worker
    // is left in the baseline; a short burst also lets the heap reach its working size.
    await warm(url('other')(), concurrency);
    if (faultyServes) await warm(url('faulty')(), concurrency);
    const baseline = footprint();
    if (process.env.FAULTS_DEBUG) console.error(`[faults] warm-up done ${Date.now() - tStart} ms`);
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
          // Fixtures that name their pid must not name the old one; the others answer 200.
          const answered = r?.status === 200 ? pidIn(r.body) : undefined;
          return answered === undefined || answered === pid ? null : ready.pid!;
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
    const t0 = Date.now();
    await inject(s);
    const t1 = Date.now();
    const otherSeen = otherLoad.snapshot();
    const result = await s.stopLoads();
    if (process.env.FAULTS_DEBUG) console.error(`[faults] other ${describeLoad(otherSeen)}`);
    // Spend the idle connections the loads left to each worker (one `Connection: close` request
    // each), so the wait below need not sit out the upstream idle timeout.
    await Promise.all([closing(url('other')(), concurrency), closing(url('faulty')(), concurrency)]);
    const after = footprint();
    const settled = await backToBaseline(baseline, slack);
    if (process.env.FAULTS_DEBUG) console.error(`[faults] inject ${t1 - t0} ms, settle ${Date.now() - t1} ms; baseline ${baseline.fds} fds ${mb(baseline.rssBytes)}; after ${after.fds} fds ${mb(after.rssBytes)}; settled ${settled.fds} fds ${mb(settled.rssBytes)}; faulty ${describeLoad(result)}`);
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
