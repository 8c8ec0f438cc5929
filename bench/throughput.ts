/**
 * Throughput (issue 2): requests/s, p99 and front-door CPU per request for the worker alone,
 * Paddock, nginx, HAProxy and PM2 cluster mode, all in one run against the same worker. The
 * headline is Paddock's CPU per request divided by nginx's (target ≤ 1.5×).
 */
import type { BenchContext } from './lib/context.ts';
import { startDirectWorker, startHaproxy, startNginx, type Running } from './lib/anchor-proxies.ts';
import { freePort } from './lib/http-probe.ts';
import { startPaddock } from './lib/paddock-host.ts';
import { ensurePm2, startPm2Cluster } from './lib/pm2.ts';
import { cpuSeconds } from './lib/proc-stat.ts';
import { fmt, verdict, type Row, type SectionResult } from './lib/report.ts';
import { describeFailures, runWrk, type WrkResult } from './lib/wrk.ts';

const SECTION = 'Throughput';
const WARM_SECONDS = 2;
/** Issue 2: Paddock's front-door CPU per request at most 1.5× nginx's in the same run. */
const TARGET_RATIO = 1.5;

interface Measured {
  readonly label: string;
  readonly wrk: WrkResult | null;
  /** Front-door CPU per request in µs, for the proxies. */
  readonly cpuUs: number | null;
  /** Why there is no figure ("not installed"). */
  readonly missing?: string;
}

/** Warms up, then runs wrk while reading the front door's CPU from /proc. */
async function measure(ctx: BenchContext, label: string, port: number, frontPid: number | null): Promise<Measured> {
  const wrk = ctx.wrk as string;
  const url = `http://127.0.0.1:${port}/`;
  ctx.log(`throughput: ${label}`);
  await runWrk(wrk, { url, seconds: WARM_SECONDS });
  const before = frontPid === null ? 0 : cpuSeconds(frontPid);
  const result = await runWrk(wrk, { url, seconds: ctx.seconds });
  const cpu = frontPid === null ? null : cpuSeconds(frontPid) - before;
  return { label, wrk: result, cpuUs: cpu === null || result.requests === 0 ? null : (cpu / result.requests) * 1e6 };
}

async function around(start: () => Promise<Running | null>, label: string, body: (r: Running) => Promise<Measured>): Promise<Measured> {
  const running = await start();
  if (!running) return { label, wrk: null, cpuUs: null, missing: 'not installed' };
  try {
    return await body(running);
  } finally {
    await running.stop();
  }
}

async function measureAnchorsBehindWorker(ctx: BenchContext): Promise<Measured[]> {
  const workerPort = await freePort();
  const worker = await startDirectWorker(ctx, workerPort);
  try {
    const direct = await measure(ctx, 'worker direct', workerPort, null);
    const nginx = await around(async () => startNginx(ctx, await freePort(), workerPort), 'nginx', (r) => measure(ctx, 'nginx', r.port, r.pid));
    const haproxy = await around(async () => startHaproxy(ctx, await freePort(), workerPort), 'HAProxy', (r) => measure(ctx, 'HAProxy', r.port, r.pid));
    return [direct, nginx, haproxy];
  } finally {
    await worker.stop();
  }
}

async function measurePaddock(ctx: BenchContext): Promise<Measured> {
  const host = await startPaddock(ctx, {
    name: 'throughput',
    port: await freePort(),
    config: {
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: { hello: { command: ['node', ctx.workerFile], runtime: 'node', listen: 'unix' } },
    },
  });
  try {
    return await measure(ctx, 'Paddock', host.port, host.pid);
  } finally {
    await host.stop();
  }
}

async function measurePm2(ctx: BenchContext): Promise<Measured> {
  const version = await ensurePm2(ctx);
  if (!version) return { label: 'PM2 cluster ×2', wrk: null, cpuUs: null, missing: 'not installed' };
  const pm2 = await startPm2Cluster(ctx, await freePort(), 2);
  try {
    return await measure(ctx, 'PM2 cluster ×2', pm2.port, null);
  } finally {
    await pm2.stop();
  }
}

function figure(m: Measured, pick: (w: WrkResult) => number | null, unit: string): string {
  if (!m.wrk) return `${m.label} ${m.missing ?? '—'}`;
  return `${m.label} ${fmt(pick(m.wrk), unit)}`;
}

/** Runs the throughput figures. */
export async function runThroughputBench(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.wrk) {
    return { rows: [{ section: SECTION, figure: 'throughput', paddock: 'wrk not installed', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const [direct, nginx, haproxy] = await measureAnchorsBehindWorker(ctx);
  const paddock = await measurePaddock(ctx);
  const pm2 = await measurePm2(ctx);
  const anchors = [direct, nginx, haproxy, pm2];
  const ratio = paddock.cpuUs !== null && nginx.cpuUs !== null ? paddock.cpuUs / nginx.cpuUs : null;
  const haproxyRatio = haproxy.cpuUs !== null && nginx.cpuUs !== null ? haproxy.cpuUs / nginx.cpuUs : null;
  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'requests/s',
      paddock: fmt(paddock.wrk?.rps, '', 0),
      anchor: anchors.map((m) => figure(m, (w) => w.rps, '')).join(' · '),
      target: '—',
      verdict: 'info',
    },
    {
      section: SECTION,
      figure: 'p99 latency',
      paddock: fmt(paddock.wrk?.p99Ms, 'ms'),
      anchor: anchors.map((m) => figure(m, (w) => w.p99Ms, 'ms')).join(' · '),
      target: '—',
      verdict: 'info',
    },
    {
      section: SECTION,
      figure: 'front-door CPU per request',
      paddock: fmt(paddock.cpuUs, 'µs', 1),
      anchor: [nginx, haproxy].map((m) => (m.cpuUs === null ? `${m.label} ${m.missing ?? '—'}` : `${m.label} ${fmt(m.cpuUs, 'µs', 1)}`)).join(' · '),
      target: '—',
      verdict: 'info',
    },
    {
      section: SECTION,
      figure: 'CPU per request ÷ nginx (headline)',
      paddock: ratio === null ? '—' : `${ratio.toFixed(2)}×`,
      anchor: haproxyRatio === null ? 'nginx 1.00×' : `nginx 1.00× · HAProxy ${haproxyRatio.toFixed(2)}×`,
      target: `≤ ${TARGET_RATIO}×`,
      verdict: verdict(ratio === null ? null : ratio <= TARGET_RATIO),
    },
  ];
  const details = [paddock, ...anchors].map((m) =>
    m.wrk
      ? `${m.label}: ${fmt(m.wrk.rps, 'req/s', 0)}, p50 ${fmt(m.wrk.p50Ms, 'ms')}, p99 ${fmt(m.wrk.p99Ms, 'ms')}, ${describeFailures(m.wrk)}${m.cpuUs === null ? '' : `; front CPU ${fmt(m.cpuUs, 'µs', 2)}/request`}`
      : `${m.label}: ${m.missing ?? 'no figure'}`,
  );
  return { rows, details };
}
