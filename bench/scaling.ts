/**
 * Scaling: requests/s and front-door CPU per request as the front door spreads over N = 1, 2, …
 * up to the cores (at most 8): Paddock with `frontDoor: { threads: N }`, nginx with
 * `worker_processes N` (under a master process) and HAProxy with `nbthread N`, each in front of
 * the same hello-world workers over loopback TCP (the upstream of the throughput figure's anchors).
 *
 * The backend is W = the largest N hello-world workers, the same W for every N and every front
 * door: Paddock's pool is a web garden of `maxProcesses: W` (AlwaysRunning, TCP upstream), nginx
 * and HAProxy balance round-robin over W workers started alone. A backend that grew with N would
 * put its own scaling into the front door's figure; one narrower than the largest N (such as 2)
 * would cap the front door on a machine of 8 cores. W workers are idle at small N and cost nothing.
 *
 * Load: `wrk -tN -c(64·N)`, so each front-door thread or process sees the 64 connections of the
 * throughput figure. CPU per request = utime + stime of the front door's process group (Paddock's
 * host and its threads; nginx's master and workers; HAProxy) over the run ÷ requests completed.
 * Each figure is the median of 2 rounds, the three front doors in a rotated order in each (a shared
 * machine drifts). Paddock's listening sockets on its port are counted at each N (one per thread
 * with SO_REUSEPORT): a count other than N says the threads were not in effect; the rows say so,
 * and the CPU-per-request verdict is then n/a, since it would be about one thread.
 *
 * One machine holds everything: wrk's N threads, the front door's N, and the W workers share the
 * cores, so no figure here reaches linear scaling on a machine of few cores, and the rows that need
 * 8 cores say n/a on fewer. About 75 s per N on 2 cores with BENCH_SECONDS=10 (2.5 min in all).
 *
 * Runs alone: `node bench/scaling.ts`, or as the `scaling` section of `npm run bench`.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from './lib/context.ts';
import { createContext } from './lib/context.ts';
import { startDirectWorker, startHaproxy, startNginx, type Running } from './lib/anchor-proxies.ts';
import { stopAll } from './lib/children.ts';
import { measureCpu, rotation, summarize, totalUs, type CpuRun, type CpuSummary } from './lib/cpu-per-request.ts';
import { freePort, waitFor } from './lib/http-probe.ts';
import { startFailure, startPaddock, type PaddockHost } from './lib/paddock-host.ts';
import { groupCpuTimes } from './lib/proc-stat.ts';
import { cpuModel, fmt, renderTable, verdict, type Row, type SectionResult } from './lib/report.ts';
import { listenCount } from './lib/tcp-states.ts';
import { describeFailures } from './lib/wrk.ts';

const SECTION = 'Scaling';
const MAX_THREADS = 8;
/** Unmeasured load before a front door's first round; later rounds warm for 1 s. */
const WARM_SECONDS = 2;
/** Rounds per N, the front doors in a rotated order each round; each figure is the median. */
const ROUNDS = 2;
/** wrk connections per front-door thread (the throughput figure's 64). */
const CONNECTIONS_PER_THREAD = 64;
/** Goal: Paddock's CPU per request at the largest N at most this times its figure at N = 1. */
const CPU_RISE_LIMIT = 1.15;
/** Goal: requests/s at 8 threads at least this share of 8 × the figure at 1. */
const LINEAR_SHARE = 0.85;

type Server = 'Paddock' | 'nginx' | 'HAProxy';
const SERVERS: readonly Server[] = ['Paddock', 'nginx', 'HAProxy'];

/** One front door at one N: its runs and their medians, or why there are none. */
interface Point {
  readonly runs: CpuRun[];
  /** Medians over the runs; null when none completed. */
  run: CpuSummary | null;
  missing?: string;
  /** Paddock only: listening sockets seen on its port. */
  readonly listeners?: number;
}

function loadOf(n: number): { threads: number; connections: number } {
  return { threads: n, connections: CONNECTIONS_PER_THREAD * n };
}

function wrkLabel(n: number): string {
  const l = loadOf(n);
  return `wrk -t${l.threads} -c${l.connections}`;
}

function paddockHost(ctx: BenchContext, n: number, width: number, port: number): Promise<PaddockHost> {
  return startPaddock(ctx, {
    name: `scaling-${n}`,
    port,
    config: {
      frontDoor: { threads: n },
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: { hello: { command: ['node', ctx.workerFile], runtime: 'node', listen: 'tcp', startMode: 'AlwaysRunning', processModel: { maxProcesses: width } } },
    },
  });
}

/** Starts the three front doors at `n`, measures each in a rotated order, stops them. */
async function measureAt(ctx: BenchContext, n: number, width: number, upstreamPorts: readonly number[]): Promise<Map<Server, Point>> {
  const wrk = ctx.wrk as string;
  const points = new Map<Server, Point>();
  const fronts: Array<{ server: Server; running: { port: number; pid: number; stop(): Promise<unknown> } }> = [];
  const anchor = { parallel: n, upstreamPorts };
  try {
    const nginx = await startNginx(ctx, await freePort(), upstreamPorts[0], anchor);
    if (nginx) fronts.push({ server: 'nginx', running: nginx });
    else points.set('nginx', { runs: [], run: null, missing: 'not installed' });
    const haproxy = await startHaproxy(ctx, await freePort(), upstreamPorts[0], anchor);
    if (haproxy) fronts.push({ server: 'HAProxy', running: haproxy });
    else points.set('HAProxy', { runs: [], run: null, missing: 'not installed' });
    let listeners: number | undefined;
    try {
      const host = await paddockHost(ctx, n, width, await freePort());
      fronts.push({ server: 'Paddock', running: host });
      await waitFor(`${width} ready workers`, async () => (await host.workers('hello')).filter((w) => w.state === 'ready').length === width, 30_000, 20);
      listeners = listenCount(host.port);
    } catch (err) {
      points.set('Paddock', { runs: [], run: null, missing: `did not start: ${startFailure(ctx, `scaling-${n}`, err)}` });
    }
    for (const f of fronts) points.set(f.server, { runs: [], run: null, listeners: f.server === 'Paddock' ? listeners : undefined });
    for (let round = 0; round < ROUNDS; round++) {
      for (const f of rotation(fronts, n - 1 + round)) {
        const p = points.get(f.server) as Point;
        if (p.missing !== undefined) continue;
        ctx.log(`scaling: N=${n}, round ${round + 1}/${ROUNDS}: ${f.server} (${wrkLabel(n)})`);
        // A front door that dies under load loses its own figure, not the others'.
        try {
          p.runs.push(await measureCpu(wrk, `http://127.0.0.1:${f.running.port}/`, f.running.pid, ctx.seconds, round === 0 ? WARM_SECONDS : 1, { ...loadOf(n), times: groupCpuTimes }));
        } catch (err) {
          const e = err as Error & { code?: string };
          p.missing = `failed under load in round ${round + 1}: ${e.code ?? 'Error'}: ${e.message.split('\n')[0]}`;
        }
      }
    }
    for (const p of points.values()) p.run = p.missing === undefined && p.runs.length > 0 ? summarize(p.runs) : null;
  } finally {
    for (const f of fronts.reverse()) await f.running.stop();
  }
  return points;
}

function rps(p: Point | undefined): number | null {
  return p?.run ? p.run.rps : null;
}

function cpuUs(p: Point | undefined): number | null {
  return p?.run ? p.run.totalUs : null;
}

/** A note when Paddock's listening sockets at `n` were not `n`: its threads were not in effect. */
function notInEffect(p: Point | undefined, n: number): string {
  if (p?.listeners === undefined || p.listeners === n) return '';
  return ` (${p.listeners} listening socket${p.listeners === 1 ? '' : 's'} seen at threads ${n}, not ${n}: the threads were not in effect)`;
}

function pointText(p: Point | undefined): string {
  if (!p) return '—';
  if (!p.run) return p.missing ?? '—';
  return `${fmt(p.run.rps, 'req/s', 0)} · ${fmt(p.run.totalUs, 'µs/request', 1)}`;
}

/** Runs the scaling figures. */
export async function runScalingBench(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.wrk) {
    return { rows: [{ section: SECTION, figure: 'scaling', paddock: 'wrk not installed', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const cores = os.availableParallelism();
  const maxN = Math.min(cores, MAX_THREADS);
  const width = maxN;
  const results = new Map<number, Map<Server, Point>>();
  const backend: Running[] = [];
  const loadAtStart = os.loadavg()[0];
  try {
    for (let i = 0; i < width; i++) backend.push(await startDirectWorker(ctx, await freePort()));
    const ports = backend.map((b) => b.port);
    for (let n = 1; n <= maxN; n++) results.set(n, await measureAt(ctx, n, width, ports));
  } finally {
    for (const b of backend) await b.stop();
  }
  const loadAtEnd = os.loadavg()[0];
  const at = (n: number, s: Server): Point | undefined => results.get(n)?.get(s);
  const scalingOf = (s: Server, n: number): number | null => {
    const a = rps(at(1, s));
    const b = rps(at(n, s));
    return a && b ? b / a : null;
  };
  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'CPU the figures hold on',
      paddock: cpuModel(),
      anchor: `N = 1…${maxN} (${cores} cores, at most ${MAX_THREADS}); ${width} hello-world workers behind every front door over TCP; medians of ${ROUNDS} rounds of ${ctx.seconds} s per front door and N, in a rotated order; load average ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end`,
      target: '—',
      verdict: 'info',
    },
  ];
  for (let n = 1; n <= maxN; n++) {
    const p = at(n, 'Paddock');
    const threadsNote = notInEffect(p, n);
    rows.push({
      section: SECTION,
      figure: `N=${n}: requests/s · front-door CPU per request (${wrkLabel(n)})`,
      paddock: `threads ${n}: ${pointText(p)}${threadsNote}`,
      anchor: `nginx worker_processes ${n}: ${pointText(at(n, 'nginx'))} · HAProxy nbthread ${n}: ${pointText(at(n, 'HAProxy'))}`,
      target: '—',
      verdict: p?.run ? 'info' : 'n/a',
    });
  }
  if (maxN > 1) {
    const ratio = (s: Server): string => fmt(scalingOf(s, maxN), '×', 2);
    rows.push({
      section: SECTION,
      figure: `requests/s at N=${maxN} ÷ at N=1`,
      paddock: ratio('Paddock'),
      anchor: `nginx ${ratio('nginx')} · HAProxy ${ratio('HAProxy')} · linear ${maxN}×`,
      target: '—',
      verdict: 'info',
    });
  }
  const cpu1 = cpuUs(at(1, 'Paddock'));
  const cpuMax = cpuUs(at(maxN, 'Paddock'));
  const cpuRise = cpu1 && cpuMax ? cpuMax / cpu1 : null;
  const anchorRise = (s: Server): string => {
    const a = cpuUs(at(1, s));
    const b = cpuUs(at(maxN, s));
    return `${s} ${a && b ? fmt(b / a, '×', 2) : '—'}`;
  };
  rows.push({
    section: SECTION,
    figure: `CPU per request does not rise with threads (N=${maxN} ÷ N=1)`,
    paddock: maxN > 1 ? `${fmt(cpuRise, '×', 2)} (${fmt(cpuMax, 'µs', 1)} vs ${fmt(cpu1, 'µs', 1)})${notInEffect(at(maxN, 'Paddock'), maxN)}` : `n/a: 1 core, N=1 only`,
    anchor: maxN > 1 ? `${anchorRise('nginx')} · ${anchorRise('HAProxy')}` : '—',
    target: `≤ ${CPU_RISE_LIMIT}×`,
    // A front door whose threads were not in effect says nothing about threads: no verdict.
    verdict: maxN > 1 && notInEffect(at(maxN, 'Paddock'), maxN) === '' ? verdict(cpuRise === null ? null : cpuRise <= CPU_RISE_LIMIT) : 'n/a',
  });
  const eight = cores >= MAX_THREADS;
  const fewCores = `n/a: ${cores} cores; needs ${MAX_THREADS} (wrk, the workers and the front door share them)`;
  const linear = eight ? scalingOf('Paddock', MAX_THREADS) : null;
  rows.push({
    section: SECTION,
    figure: `within 15% of linear up to ${MAX_THREADS} threads (requests/s at ${MAX_THREADS} ÷ ${MAX_THREADS} × at 1)`,
    paddock: eight ? fmt(linear === null ? null : linear / MAX_THREADS, '', 2) : fewCores,
    anchor: eight ? `nginx ${fmt((scalingOf('nginx', MAX_THREADS) ?? NaN) / MAX_THREADS, '', 2)} · HAProxy ${fmt((scalingOf('HAProxy', MAX_THREADS) ?? NaN) / MAX_THREADS, '', 2)}` : '—',
    target: `≥ ${LINEAR_SHARE}`,
    verdict: eight ? verdict(linear === null ? null : linear / MAX_THREADS >= LINEAR_SHARE) : 'n/a',
  });
  const nginxScaling = eight ? scalingOf('nginx', MAX_THREADS) : null;
  rows.push({
    section: SECTION,
    figure: `not behind nginx's scaling (requests/s at ${MAX_THREADS} ÷ at 1)`,
    paddock: eight ? fmt(linear, '×', 2) : fewCores,
    anchor: eight ? `nginx ${fmt(nginxScaling, '×', 2)}` : '—',
    target: '≥ nginx',
    verdict: eight ? verdict(linear === null || nginxScaling === null ? null : linear >= nginxScaling) : 'n/a',
  });
  const details: string[] = [
    `CPU: ${cpuModel()}; front-door CPU = utime + stime of the front door's process group over each run (/proc/PID/stat) ÷ requests completed`,
    `backend: ${width} hello-world workers (bench/workers/hello.mjs) over loopback TCP; Paddock: one pool, maxProcesses ${width}, AlwaysRunning; nginx: upstream keepalive 128 per worker process; HAProxy: http-reuse always`,
  ];
  for (let n = 1; n <= maxN; n++) {
    for (const s of SERVERS) {
      const p = at(n, s);
      if (!p?.run) {
        details.push(`N=${n}, ${s}: ${p?.missing ?? 'not measured'}`);
        continue;
      }
      const extra = p.listeners !== undefined ? `; ${p.listeners} listening socket(s) on its port` : '';
      p.runs.forEach((r, i) => {
        details.push(`N=${n}, ${s}, round ${i + 1} (${wrkLabel(n)}): ${fmt(r.wrk.rps, 'req/s', 0)}, ${fmt(totalUs(r), 'µs', 1)} (${fmt(r.userUs, '', 1)} user + ${fmt(r.systemUs, '', 1)} system), p99 ${fmt(r.wrk.p99Ms, 'ms')}; ${describeFailures(r.wrk)}${extra}`);
      });
    }
  }
  return { rows, details };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ctx = createContext();
  try {
    const result = await runScalingBench(ctx);
    process.stdout.write(`CPU: ${cpuModel()}\n\n${renderTable(result.rows)}\n\n${result.details.map((d) => `- ${d}`).join('\n')}\n`);
  } finally {
    await stopAll();
    if (process.env.BENCH_KEEP !== '1') rmSync(ctx.tmp, { recursive: true, force: true });
  }
}
