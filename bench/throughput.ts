/**
 * Throughput (issues 2 and 11): front-door CPU per request, user and system apart, for Paddock
 * with a unix-socket and with a TCP upstream, beside nginx and HAProxy in front of the same
 * hello-world worker; requests/s and p99 beside the worker alone and PM2 cluster mode. The
 * headline is Paddock's CPU per request divided by nginx's (target ≤ 1.5×), on the CPU named in
 * the first row: the ratio between a C front door and a JavaScript one depends on the CPU.
 *
 * The machine may be shared, so the front doors are measured in BENCH_ROUNDS rounds (default 3),
 * in a rotated order, and every figure is the median over the rounds; a ratio is taken within each
 * round (the two front doors measured minutes apart at most), then its median.
 *
 * Runs alone: `node bench/throughput.ts` (or `npm run bench:throughput`).
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from './lib/context.ts';
import { createContext } from './lib/context.ts';
import { startDirectWorker, startHaproxy, startNginx } from './lib/anchor-proxies.ts';
import { stopAll } from './lib/children.ts';
import { measureCpu, median, rotation, roundRatios, summarize, type CpuRun, type CpuSummary } from './lib/cpu-per-request.ts';
import { freePort } from './lib/http-probe.ts';
import { startPaddock, type PaddockHost } from './lib/paddock-host.ts';
import { ensurePm2, startPm2Cluster } from './lib/pm2.ts';
import { cpuModel, fmt, renderTable, verdict, type Row, type SectionResult } from './lib/report.ts';
import { describeFailures, runWrk, type WrkResult } from './lib/wrk.ts';

const SECTION = 'Throughput';
/** Unmeasured load before a front door's first round; later rounds warm for 1 s. */
const WARM_SECONDS = 2;
/** Issue 2: Paddock's front-door CPU per request at most 1.5× nginx's in the same run. */
const TARGET_RATIO = 1.5;

/** A front door whose CPU is measured: its port, its process, its runs. */
interface Front {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  readonly runs: CpuRun[];
}

/** A load-only figure (no front-door process to read): requests/s and p99. */
interface LoadOnly {
  readonly label: string;
  readonly wrk: WrkResult | null;
  readonly missing?: string;
}

function rounds(): number {
  const n = Number(process.env.BENCH_ROUNDS ?? 3);
  return Number.isInteger(n) && n > 0 ? n : 3;
}

async function loadOnly(ctx: BenchContext, label: string, port: number): Promise<LoadOnly> {
  const url = `http://127.0.0.1:${port}/`;
  ctx.log(`throughput: ${label}`);
  await runWrk(ctx.wrk as string, { url, seconds: WARM_SECONDS });
  return { label, wrk: await runWrk(ctx.wrk as string, { url, seconds: ctx.seconds }) };
}

function startHost(ctx: BenchContext, listen: 'unix' | 'tcp', port: number): Promise<PaddockHost> {
  return startPaddock(ctx, {
    name: `throughput-${listen}`,
    port,
    config: {
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: { hello: { command: ['node', ctx.workerFile], runtime: 'node', listen } },
    },
  });
}

async function measurePm2(ctx: BenchContext): Promise<LoadOnly> {
  const label = 'PM2 cluster ×2';
  if (!(await ensurePm2(ctx))) return { label, wrk: null, missing: 'not installed' };
  const pm2 = await startPm2Cluster(ctx, await freePort(), 2);
  try {
    return await loadOnly(ctx, label, pm2.port);
  } finally {
    await pm2.stop();
  }
}

/** Every front door up at once (idle ones cost nothing), measured in rotated rounds. */
async function measureFronts(ctx: BenchContext): Promise<{ direct: LoadOnly; fronts: Map<string, Front | null> }> {
  const wrk = ctx.wrk as string;
  const workerPort = await freePort();
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const worker = await startDirectWorker(ctx, workerPort);
    stops.push(() => worker.stop());
    const direct = await loadOnly(ctx, 'worker direct', workerPort);
    const fronts = new Map<string, Front | null>();
    const add = (label: string, r: { port: number; pid: number; stop(): Promise<unknown> } | null): void => {
      if (r !== null) stops.push(() => r.stop());
      fronts.set(label, r === null ? null : { label, port: r.port, pid: r.pid, runs: [] });
    };
    add('nginx', await startNginx(ctx, await freePort(), workerPort));
    add('HAProxy', await startHaproxy(ctx, await freePort(), workerPort));
    add('Paddock unix', await startHost(ctx, 'unix', await freePort()));
    add('Paddock TCP', await startHost(ctx, 'tcp', await freePort()));
    const present = [...fronts.values()].filter((f): f is Front => f !== null);
    const n = rounds();
    for (let round = 0; round < n; round++) {
      for (const f of rotation(present, round)) {
        ctx.log(`throughput: round ${round + 1}/${n}: ${f.label}`);
        f.runs.push(await measureCpu(wrk, `http://127.0.0.1:${f.port}/`, f.pid, ctx.seconds, round === 0 ? WARM_SECONDS : 1));
      }
    }
    return { direct, fronts };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function cpuText(s: CpuSummary): string {
  return `${fmt(s.totalUs, 'µs', 1)} (${fmt(s.userUs, '', 1)} user + ${fmt(s.systemUs, '', 1)} system)`;
}

function ratioText(ratios: readonly number[]): string {
  if (ratios.length === 0) return '—';
  const lo = Math.min(...ratios).toFixed(2);
  const hi = Math.max(...ratios).toFixed(2);
  return `${median(ratios).toFixed(2)}×${ratios.length > 1 ? ` (rounds ${lo}–${hi}×)` : ''}`;
}

/** Runs the throughput figures. */
export async function runThroughputBench(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.wrk) {
    return { rows: [{ section: SECTION, figure: 'throughput', paddock: 'wrk not installed', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const loadAtStart = os.loadavg()[0];
  const { direct, fronts } = await measureFronts(ctx);
  const loadAtEnd = os.loadavg()[0];
  const pm2 = await measurePm2(ctx);
  const summary = (label: string): CpuSummary | null => {
    const f = fronts.get(label);
    return f ? summarize(f.runs) : null;
  };
  const runsOf = (label: string): CpuRun[] => fronts.get(label)?.runs ?? [];
  const nginx = summary('nginx');
  const haproxy = summary('HAProxy');
  const kinds = [['unix', 'Paddock unix'], ['TCP', 'Paddock TCP']] as const;
  const anchorCpu = [['nginx', nginx], ['HAProxy', haproxy]] as const;
  const anchorCpuText = anchorCpu.map(([l, s]) => `${l} ${s ? cpuText(s) : 'not installed'}`).join(' · ');
  const loadText = (s: CpuSummary | null, pick: (s: CpuSummary) => number, unit: string, digits?: number): string => (s ? fmt(pick(s), unit, digits) : 'not installed');
  const loadAnchors = (pick: (w: WrkResult) => number | null, sPick: (s: CpuSummary) => number, unit: string, digits?: number): string =>
    [
      `${direct.label} ${fmt(direct.wrk ? pick(direct.wrk) : null, unit, digits)}`,
      `nginx ${loadText(nginx, sPick, unit, digits)}`,
      `HAProxy ${loadText(haproxy, sPick, unit, digits)}`,
      `${pm2.label} ${pm2.wrk ? fmt(pick(pm2.wrk), unit, digits) : (pm2.missing ?? '—')}`,
    ].join(' · ');
  const n = rounds();
  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'CPU the figures hold on',
      paddock: cpuModel(),
      anchor: `${n} rounds of wrk -t1 -c64 -d${ctx.seconds}s per front door, medians; load average ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end (a shared machine skews every figure)`,
      target: '—',
      verdict: 'info',
    },
    {
      section: SECTION,
      figure: 'requests/s (unix · TCP upstream)',
      paddock: kinds.map(([k, l]) => `${k} ${loadText(summary(l), (s) => s.rps, '', 0)}`).join(' · '),
      anchor: loadAnchors((w) => w.rps, (s) => s.rps, '', 0),
      target: '—',
      verdict: 'info',
    },
    {
      section: SECTION,
      figure: 'p99 latency (unix · TCP upstream)',
      paddock: kinds.map(([k, l]) => `${k} ${loadText(summary(l), (s) => s.p99Ms, 'ms')}`).join(' · '),
      anchor: loadAnchors((w) => w.p99Ms, (s) => s.p99Ms, 'ms'),
      target: '—',
      verdict: 'info',
    },
  ];
  for (const [kind, label] of kinds) {
    const s = summary(label);
    rows.push({
      section: SECTION,
      figure: `front-door CPU per request, ${kind} upstream`,
      paddock: s ? cpuText(s) : '—',
      anchor: anchorCpuText,
      target: '—',
      verdict: 'info',
    });
  }
  for (const [kind, label] of kinds) {
    const ratios = roundRatios(runsOf(label), runsOf('nginx'));
    const haproxyRatios = roundRatios(runsOf('HAProxy'), runsOf('nginx'));
    rows.push({
      section: SECTION,
      figure: `CPU per request ÷ nginx, ${kind} upstream (headline)`,
      paddock: ratioText(ratios),
      anchor: `nginx 1.00× · HAProxy ${ratioText(haproxyRatios)}`,
      target: `≤ ${TARGET_RATIO}×`,
      verdict: verdict(ratios.length === 0 ? null : median(ratios) <= TARGET_RATIO),
    });
  }
  const details: string[] = [
    `CPU: ${cpuModel()}; front-door CPU = utime + stime of the front-door process over each run (/proc/PID/stat) ÷ requests completed; nginx and HAProxy forward to the worker over TCP`,
  ];
  for (const f of fronts.values()) {
    if (f === null) continue;
    const s = summarize(f.runs);
    details.push(`${f.label}: median ${cpuText(s)}, ${fmt(s.rps, 'req/s', 0)}, p99 ${fmt(s.p99Ms, 'ms')}; ${s.failed} failed of ${s.requests}`);
    f.runs.forEach((r, i) => details.push(`${f.label}, round ${i + 1}: ${fmt(r.userUs + r.systemUs, 'µs', 1)} (${fmt(r.userUs, '', 1)} + ${fmt(r.systemUs, '', 1)}), ${describeFailures(r.wrk)}`));
  }
  for (const m of [direct, pm2]) {
    details.push(m.wrk ? `${m.label}: ${fmt(m.wrk.rps, 'req/s', 0)}, p99 ${fmt(m.wrk.p99Ms, 'ms')}, ${describeFailures(m.wrk)}` : `${m.label}: ${m.missing ?? 'no figure'}`);
  }
  return { rows, details };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ctx = createContext();
  try {
    const result = await runThroughputBench(ctx);
    process.stdout.write(`${renderTable(result.rows)}\n\n${result.details.map((d) => `- ${d}`).join('\n')}\n`);
  } finally {
    await stopAll();
    if (process.env.BENCH_KEEP !== '1') rmSync(ctx.tmp, { recursive: true, force: true });
  }
}
