/**
 * Isolation between pools (p99): one pool `steady` (the hello-world worker) under steady load,
 * `wrk -t1 -c16 --latency`, measured
 *   (a) quiet: nothing else happens on the host;
 *   (b) while a second pool `noisy` floods stdout (bench/workers/noisy.mjs writes 128-byte lines
 *       as fast as its pipe takes them, for as long as it lives, and still answers its pings, at
 *       1 s): the host reads every line into the pool's output log, rotating it;
 *   (c) while a third pool `crasher` crash-loops into rapid-fail: its worker exits right after
 *       start (test/fixtures/crash-at-start.mjs), two small loops send it a request every 10 ms so
 *       it is demand-started again after each crash, rapid-fail stops it after 3 failures in 10 s,
 *       and the bench starts it again through the admin API each time, so the loop lasts the run;
 *   (d) while 1,000 idle OnDemand pools, each with a site of its own, exist in the config
 *       (a second host: the first does not have them) and tick.
 * (a), (b), (c) and a second quiet run are measured on one host, in that order; (d) is compared
 * with the first quiet run of the first host. The whole thing runs twice: `frontDoor: { threads: 1 }`
 * and `{ threads: 2 }`; a host that does not start is a failed row with its error. The goal: the
 * steady pool's p99 within 1.3× of quiet.
 *
 * What shares the cores, honestly: on a 2-core machine wrk, the host (its main thread, and its
 * front-door thread at threads 2), the steady worker and the noise all compete for 2 CPUs. The
 * flooding worker alone can keep most of a core busy, and the host spends CPU of its own reading
 * and writing its lines; each crash is a Node process start (tens of ms of CPU) plus the host's
 * crash capture. So a p99 that rises in (b) or (c) on 2 cores measures this CPU competition as
 * much as any sharing inside the host: the details give the noisy worker's and the host's CPU over
 * each run, so the two can be told apart. cgroups set no CPU limit here.
 *
 * Runs alone: `node bench/interference.ts`, or as the `interference` section of `npm run bench`.
 */
import { rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from './lib/context.ts';
import { createContext } from './lib/context.ts';
import { stopAll } from './lib/children.ts';
import { eventCounts } from './lib/fault-targets.ts';
import { freePort, probe, sleep, waitFor } from './lib/http-probe.ts';
import { startFailure, startPaddock, type PaddockHost } from './lib/paddock-host.ts';
import { cpuSeconds } from './lib/proc-stat.ts';
import { cpuModel, fmt, renderTable, verdict, type Row, type SectionResult } from './lib/report.ts';
import { listenCount } from './lib/tcp-states.ts';
import { describeFailures, runWrk, type WrkResult } from './lib/wrk.ts';
import { scaleConfig } from './scale.ts';

const SECTION = 'Isolation between pools (p99)';
const THREADS = [1, 2] as const;
const GOAL = 1.3;
const WARM_SECONDS = 2;
const LOAD = { threads: 1, connections: 16 } as const;
const IDLE_POOLS = 1000;
/** The crash loop's traffic: this many loops, each pausing this long between requests. */
const CRASH_LOOPS = 2;
const CRASH_PAUSE_MS = 10;
const RAPID_FAIL = { rapidFailProtectionMaxCrashes: 3, rapidFailProtectionInterval: '10s' } as const;

type CaseKey = 'quiet' | 'noisy' | 'crash' | 'idle' | 'quietAgain';
const CASE_LABEL: Readonly<Record<CaseKey, string>> = {
  quiet: 'quiet',
  noisy: 'a pool flooding stdout',
  crash: 'a pool crash-looping into rapid-fail',
  idle: `${IDLE_POOLS.toLocaleString('en-US')} idle OnDemand pools in the config`,
  quietAgain: 'quiet again',
};

interface Measured {
  readonly wrk: WrkResult;
  /** µs of host CPU per steady request (the host's whole work over the run ÷ steady requests). */
  readonly hostUs: number;
  /** Facts of the case: the noise's own figures. */
  readonly notes: string[];
}

interface Setting {
  readonly threads: number;
  readonly cases: Partial<Record<CaseKey, Measured>>;
  /** Why a host or a case has no figure. */
  readonly failures: Partial<Record<CaseKey | 'host' | 'idleHost', string>>;
  /** Listening sockets seen on the front door's port. */
  listeners: number | null;
}

function steadyPool(ctx: BenchContext): Record<string, unknown> {
  return { command: ['node', ctx.workerFile], runtime: 'node', startMode: 'AlwaysRunning' };
}

/** The first host: steady, noisy and crasher; the last two OnDemand, so they stay quiet until asked. */
function mainConfig(ctx: BenchContext, threads: number): Record<string, unknown> {
  const crashWorker = path.join(ctx.root, 'test/fixtures/crash-at-start.mjs');
  return {
    frontDoor: { threads },
    sites: [{
      name: 'steady',
      hosts: ['*'],
      apps: [{ path: '/', pool: 'steady' }, { path: '/noisy', pool: 'noisy' }, { path: '/crash', pool: 'crasher' }],
    }],
    pools: {
      steady: steadyPool(ctx),
      noisy: {
        command: ['node', path.join(ctx.root, 'bench/workers/noisy.mjs')],
        runtime: 'node',
        processModel: { pingInterval: '1s', pingResponseTime: '5s', shutdownTimeLimit: '2s' },
      },
      // The marker is the worker's own file: it exists, so every start exits with code 3.
      crasher: { command: ['node', crashWorker], runtime: 'node', env: { CRASH_MARKER: crashWorker }, failure: RAPID_FAIL },
    },
  };
}

/** The second host: steady beside 1,000 OnDemand pools, each the only app of its own site. */
function idleConfig(ctx: BenchContext, threads: number): Record<string, unknown> {
  const scale = scaleConfig(ctx, IDLE_POOLS) as { sites: unknown[]; pools: Record<string, unknown> };
  return {
    frontDoor: { threads },
    sites: [...scale.sites, { name: 'steady', hosts: ['*'], apps: [{ path: '/', pool: 'steady' }] }],
    pools: { ...scale.pools, steady: steadyPool(ctx) },
  };
}

/** wrk on the steady pool, with the host's CPU over the measured run. */
async function measure(ctx: BenchContext, host: PaddockHost, label: string): Promise<Omit<Measured, 'notes'>> {
  const url = `http://127.0.0.1:${host.port}/`;
  ctx.log(`interference: ${label}`);
  await runWrk(ctx.wrk as string, { url, seconds: WARM_SECONDS, ...LOAD });
  const before = cpuSeconds(host.pid);
  const wrk = await runWrk(ctx.wrk as string, { url, seconds: ctx.seconds, ...LOAD });
  return { wrk, hostUs: ((cpuSeconds(host.pid) - before) / Math.max(1, wrk.requests)) * 1e6 };
}

async function noisyCount(host: PaddockHost): Promise<{ bytes: number; lines: number }> {
  const r = await probe({ port: host.port, path: '/noisy/count', timeoutMs: 10_000 });
  if (r.status !== 200) throw Object.assign(new Error(`/noisy/count answered ${r.status}`), { code: 'BENCH_NOISY' });
  return JSON.parse(r.body) as { bytes: number; lines: number };
}

/** Events of `pool` written since `t0` (epoch ms), by id. */
async function eventsSince(host: PaddockHost, pool: string, t0: number): Promise<number[]> {
  const events = await host.events({ pool });
  return events.filter((e) => Date.parse(String(e.time)) >= t0).map((e) => e.id);
}

async function noisyCase(ctx: BenchContext, host: PaddockHost): Promise<Measured> {
  const t0 = Date.now();
  await noisyCount(host); // demand-starts the flood
  await waitFor('the noisy worker ready', async () => (await host.workers('noisy')).some((w) => w.state === 'ready'), 30_000, 20);
  const [worker] = (await host.workers('noisy')).filter((w) => w.state === 'ready');
  const pid = worker.pid as number;
  await sleep(1000); // the flood at full speed before the warm-up
  const c0 = await noisyCount(host);
  const w0 = cpuSeconds(pid);
  const t1 = performance.now();
  const m = await measure(ctx, host, 'noisy pool flooding stdout');
  const seconds = (performance.now() - t1) / 1000;
  const w1 = cpuSeconds(pid);
  const c1 = await noisyCount(host);
  const live = (await host.workers('noisy')).filter((w) => w.state !== 'stopped');
  const notes = [
    `the noisy worker wrote ${fmt((c1.bytes - c0.bytes) / seconds / 1024 ** 2, 'MB/s', 1)} (${fmt((c1.lines - c0.lines) / seconds, 'lines/s', 0)}) into the host's output log over the warm-up and run`,
    `its own CPU ${fmt((100 * (w1 - w0)) / seconds, '% of one core', 0)}`,
    `pid ${pid} ${live.some((w) => w.pid === pid) ? 'still the noisy worker at the end' : 'replaced during the run'}; noisy events ${eventCounts(await eventsSince(host, 'noisy', t0))}`,
  ];
  await host.admin('POST', '/api/pools/noisy/stop');
  await waitFor('the noisy worker gone', async () => (await host.workers('noisy')).every((w) => w.state === 'stopped'), 15_000, 50);
  return { ...m, notes };
}

/** Requests to the crasher, each after a short pause; a stopped pool is started again. */
function crashLoop(host: PaddockHost): { stop(): Promise<{ sent: number; outcomes: Record<string, number>; restarts: number }> } {
  let running = true;
  let sent = 0;
  let restarts = 0;
  const outcomes: Record<string, number> = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: CRASH_LOOPS });
  const traffic = async (): Promise<void> => {
    while (running) {
      sent++;
      try {
        const r = await probe({ port: host.port, path: '/crash/', agent, timeoutMs: 10_000 });
        outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        outcomes[code] = (outcomes[code] ?? 0) + 1;
      }
      await sleep(CRASH_PAUSE_MS);
    }
  };
  const restarter = async (): Promise<void> => {
    while (running) {
      const p = await host.pool('crasher').catch(() => null);
      if (p && p.state === 'stopped' && p.stopReason === 'rapidFail') {
        await host.admin('POST', '/api/pools/crasher/start').catch(() => undefined);
        restarts++;
      }
      await sleep(100);
    }
  };
  const loops = [...Array.from({ length: CRASH_LOOPS }, traffic), restarter()];
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { sent, outcomes, restarts };
    },
  };
}

async function crashCase(ctx: BenchContext, host: PaddockHost): Promise<Measured> {
  const t0 = Date.now();
  const loop = crashLoop(host);
  let m: Omit<Measured, 'notes'>;
  let facts: Awaited<ReturnType<ReturnType<typeof crashLoop>['stop']>>;
  try {
    m = await measure(ctx, host, 'crasher pool crash-looping');
  } finally {
    facts = await loop.stop();
  }
  const ids = await eventsSince(host, 'crasher', t0);
  await host.admin('POST', '/api/pools/crasher/stop').catch(() => undefined);
  const n = (id: number): number => ids.filter((i) => i === id).length;
  const notes = [
    `the crasher over the warm-up and run: ${n(6001)} worker starts, ${n(5009)} crashes, ${n(5002)} rapid-fail stops (each started again by the bench: ${facts.restarts}); events ${eventCounts(ids)}`,
    `its traffic: ${facts.sent} requests, ${Object.entries(facts.outcomes).map(([k, v]) => `${v} × ${k}`).join(', ')}`,
  ];
  return { ...m, notes };
}

/** Starts a host, or records why it did not start. */
async function tryHost(ctx: BenchContext, name: string, config: Record<string, unknown>, startTimeoutMs = 30_000): Promise<PaddockHost | string> {
  try {
    const host = await startPaddock(ctx, { name, port: await freePort(), config, startTimeoutMs });
    await waitFor('the steady worker ready', async () => (await host.workers('steady')).some((w) => w.state === 'ready'), 30_000, 20);
    return host;
  } catch (err) {
    return startFailure(ctx, name, err);
  }
}

async function runSetting(ctx: BenchContext, threads: number): Promise<Setting> {
  const setting: Setting = { threads, cases: {}, failures: {}, listeners: null };
  const caseRun = async (key: CaseKey, run: () => Promise<Measured>): Promise<void> => {
    try {
      setting.cases[key] = await run();
    } catch (err) {
      const e = err as Error & { code?: string };
      setting.failures[key] = `${e.code ?? 'Error'}: ${e.message.split('\n')[0]}`;
      ctx.log(`interference: threads ${threads}, ${key} failed: ${e.stack ?? e.message}`);
    }
  };
  const name = `interference-t${threads}`;
  const mainHost = await tryHost(ctx, name, mainConfig(ctx, threads));
  if (typeof mainHost === 'string') {
    setting.failures.host = mainHost;
    return setting;
  }
  const quiet = (label: string) => async (): Promise<Measured> => ({ ...(await measure(ctx, mainHost, label)), notes: [] });
  try {
    setting.listeners = listenCount(mainHost.port);
    await caseRun('quiet', quiet(`threads ${threads}: quiet`));
    await caseRun('noisy', () => noisyCase(ctx, mainHost));
    await caseRun('crash', () => crashCase(ctx, mainHost));
    await caseRun('quietAgain', quiet(`threads ${threads}: quiet again`));
  } finally {
    await mainHost.stop();
  }
  const idleName = `interference-idle-t${threads}`;
  const idle = await tryHost(ctx, idleName, idleConfig(ctx, threads), 60_000);
  if (typeof idle === 'string') {
    setting.failures.idleHost = idle;
    return setting;
  }
  try {
    await caseRun('idle', async () => ({ ...(await measure(ctx, idle, `threads ${threads}: ${IDLE_POOLS} idle pools`)), notes: [] }));
  } finally {
    await idle.stop();
  }
  return setting;
}

function caseText(m: Measured): string {
  return `p99 ${fmt(m.wrk.p99Ms, 'ms')} · ${fmt(m.wrk.rps, 'req/s', 0)}`;
}

function settingRows(s: Setting): Row[] {
  const label = `threads ${s.threads}`;
  if (s.failures.host) {
    return [{ section: SECTION, figure: `${label}: the host`, paddock: `failed to start: ${s.failures.host}`, anchor: '—', target: '—', verdict: 'n/a' }];
  }
  const note = s.listeners !== null && s.listeners !== s.threads ? ` [${s.listeners} listening socket(s) on the port, not ${s.threads}: the threads were not in effect]` : '';
  const quiet = s.cases.quiet;
  const again = s.cases.quietAgain;
  const rows: Row[] = [{
    section: SECTION,
    figure: `${label}: steady pool, quiet (wrk -t${LOAD.threads} -c${LOAD.connections})`,
    paddock: quiet ? `${caseText(quiet)}${note}` : `failed: ${s.failures.quiet ?? '—'}`,
    anchor: again ? `quiet again after the noisy and crash runs: ${caseText(again)}` : `quiet again: ${s.failures.quietAgain ?? '—'}`,
    target: '—',
    verdict: quiet ? 'info' : 'n/a',
  }];
  for (const key of ['noisy', 'crash', 'idle'] as const) {
    const m = s.cases[key];
    const failed = s.failures[key] ?? (key === 'idle' ? s.failures.idleHost : undefined);
    const ratio = m && quiet && m.wrk.p99Ms !== null && quiet.wrk.p99Ms ? m.wrk.p99Ms / quiet.wrk.p99Ms : null;
    rows.push({
      section: SECTION,
      figure: `${label}: steady pool, ${CASE_LABEL[key]}`,
      // The goal is on p99; the rate beside it, since a closed-loop client that is served less often
      // can see a p99 no worse than quiet.
      paddock: m ? `${caseText(m)}; p99 ${fmt(ratio, '×', 2)} quiet, req/s ${fmt(quiet ? m.wrk.rps / quiet.wrk.rps : null, '×', 2)} quiet` : `failed: ${failed ?? '—'}`,
      anchor: quiet ? `quiet: ${caseText(quiet)}` : '—',
      target: `p99 ≤ ${GOAL}× quiet`,
      verdict: verdict(ratio === null ? null : ratio <= GOAL),
    });
  }
  return rows;
}

function settingDetails(s: Setting): string[] {
  const out: string[] = [];
  const label = `threads ${s.threads}`;
  if (s.listeners !== null) out.push(`${label}: ${s.listeners} listening socket(s) on the front door's port`);
  for (const key of ['quiet', 'noisy', 'crash', 'quietAgain', 'idle'] as const) {
    const m = s.cases[key];
    if (!m) continue;
    out.push(`${label}, ${CASE_LABEL[key]}: ${caseText(m)}, p50 ${fmt(m.wrk.p50Ms, 'ms')}, host CPU ${fmt(m.hostUs, 'µs', 1)} per steady request; ${describeFailures(m.wrk)}${m.notes.length ? `; ${m.notes.join('; ')}` : ''}`);
  }
  for (const [key, why] of Object.entries(s.failures)) out.push(`${label}, ${key}: ${why}`);
  return out;
}

/** Runs the interference figures. */
export async function runInterferenceBench(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.wrk) {
    return { rows: [{ section: SECTION, figure: 'interference', paddock: 'wrk not installed', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const loadAtStart = os.loadavg()[0];
  const settings: Setting[] = [];
  for (const threads of THREADS) settings.push(await runSetting(ctx, threads));
  const rows: Row[] = [{
    section: SECTION,
    figure: 'CPU the figures hold on',
    paddock: cpuModel(),
    anchor: `wrk -t${LOAD.threads} -c${LOAD.connections} -d${ctx.seconds}s on the steady pool per case; wrk, the host, the steady worker and the noise share ${os.availableParallelism()} cores; load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
    target: '—',
    verdict: 'info',
  }];
  for (const s of settings) rows.push(...settingRows(s));
  const details = [
    `CPU: ${cpuModel()}; every host keeps its default access log (W3C) of every request; steady pool: bench/workers/hello.mjs, one worker, AlwaysRunning, unix socket; the noise: bench/workers/noisy.mjs (pings 1 s, 5 s to answer), test/fixtures/crash-at-start.mjs (rapid-fail ${RAPID_FAIL.rapidFailProtectionMaxCrashes} in ${RAPID_FAIL.rapidFailProtectionInterval}; ${CRASH_LOOPS} loops, ${CRASH_PAUSE_MS} ms between requests), ${IDLE_POOLS} OnDemand pools as in the scale figure`,
    ...settings.flatMap(settingDetails),
  ];
  return { rows, details };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ctx = createContext();
  try {
    const result = await runInterferenceBench(ctx);
    process.stdout.write(`CPU: ${cpuModel()}\n\n${renderTable(result.rows)}\n\n${result.details.map((d) => `- ${d}`).join('\n')}\n`);
  } finally {
    await stopAll();
    if (process.env.BENCH_KEEP !== '1') rmSync(ctx.tmp, { recursive: true, force: true });
  }
}
