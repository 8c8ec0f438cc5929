/**
 * Scale (issue 6): a generated config of 1,000 pools and 1,000 sites (hosts `site-N.test`), all
 * OnDemand. Host start time (spawn to the admin `/health` answering, which comes after the front
 * door is bound), host RSS with every pool idle, requests/s through one route among 1,000 beside a
 * config of one route, and the demand-start overhead: the first request's time minus the worker's
 * own start time (its startupMs, event 6002), beside the worker started alone.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { spawnTracked, stopChild } from './lib/children.ts';
import { accepting, freePort, median, probe, waitFor } from './lib/http-probe.ts';
import { startPaddock, type PaddockHost } from './lib/paddock-host.ts';
import { cpuSeconds, rssBytes } from './lib/proc-stat.ts';
import { fmt, verdict, type Row, type SectionResult } from './lib/report.ts';
import { runWrk, type WrkResult } from './lib/wrk.ts';

const SECTION = 'Scale';
const POOLS = 1000;
const STARTS = 3;
const RATE_ROUNDS = 3;
const DEMAND_SAMPLES = 7;
/** The route measured among 1,000: a site in the middle. */
const WARM_SITE = 500;
const TARGETS = { startMs: 2000, rssMB: 150, ratio: 0.95, overheadMs: 20 } as const;

/** A config of `count` OnDemand pools, each the only app of its own site `site-N.test`. */
export function scaleConfig(ctx: BenchContext, count: number): Record<string, unknown> {
  const sites = [];
  const pools: Record<string, unknown> = {};
  for (let n = 1; n <= count; n++) {
    const name = `p${String(n).padStart(4, '0')}`;
    sites.push({ name: `site-${n}`, hosts: [`site-${n}.test`], apps: [{ path: '/', pool: name }] });
    pools[name] = { command: ['node', ctx.workerFile], runtime: 'node', listen: 'unix', startMode: 'OnDemand' };
  }
  return { sites, pools };
}

async function hostWith(ctx: BenchContext, name: string, count: number): Promise<PaddockHost> {
  return startPaddock(ctx, { name, port: await freePort(), config: scaleConfig(ctx, count), startTimeoutMs: 60_000 });
}

/** Warms one site's pool, then measures wrk through it with the host's CPU. */
async function rate(ctx: BenchContext, host: PaddockHost, site: number): Promise<{ wrk: WrkResult; cpuUs: number; rssMB: number }> {
  const rssMB = (rssBytes(host.pid) ?? NaN) / 1024 ** 2;
  // "Host" exactly: wrk adds its own Host header unless one of that spelling is given, and two
  // Host headers are a 400 (RFC 9112 §3.2).
  const headers = { Host: `site-${site}.test` };
  const url = `http://127.0.0.1:${host.port}/`;
  await probe({ port: host.port, headers });
  await runWrk(ctx.wrk as string, { url, seconds: 2, headers });
  const before = cpuSeconds(host.pid);
  const wrk = await runWrk(ctx.wrk as string, { url, seconds: ctx.seconds, headers });
  return { wrk, cpuUs: ((cpuSeconds(host.pid) - before) / Math.max(1, wrk.requests)) * 1e6, rssMB };
}

/** Time from spawning the worker by itself to its first answer on a unix socket. */
async function workerAloneMs(ctx: BenchContext, i: number): Promise<number> {
  const sock = path.join(ctx.tmp, `alone-${i}.sock`);
  rmSync(sock, { force: true });
  const t0 = performance.now();
  const child = spawnTracked('worker alone', process.execPath, [ctx.workerFile], { env: { PORT: sock } });
  try {
    await waitFor('the worker alone to listen', () => accepting({ path: sock }), 10_000, 1);
    const r = await probe({ socketPath: sock });
    if (r.status !== 200) throw new Error(`worker alone answered ${r.status}`);
    return performance.now() - t0;
  } finally {
    await stopChild(child, 'SIGKILL');
  }
}

/** First request to each of a few idle pools, with the worker's own startupMs from event 6002. */
async function demandStarts(host: PaddockHost): Promise<Array<{ firstMs: number; startupMs: number | null }>> {
  const out = [];
  for (let n = 11; n < 11 + DEMAND_SAMPLES; n++) {
    const r = await probe({ port: host.port, headers: { host: `site-${n}.test` }, timeoutMs: 30_000 });
    if (r.status !== 200) throw Object.assign(new Error(`site-${n}.test answered ${r.status}`), { code: 'BENCH_DEMAND_START' });
    const pool = `p${String(n).padStart(4, '0')}`;
    const ready = await host.events({ pool, id: 6002 });
    const startupMs = ready.length ? Number(ready[ready.length - 1].details.startupMs) : null;
    out.push({ firstMs: r.ms, startupMs: Number.isFinite(startupMs) ? startupMs : null });
  }
  return out;
}

/** Wall time of a process run to its end, in ms: where a slow host start goes. */
async function processMs(ctx: BenchContext, args: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawnTracked('timed', process.execPath, args, { cwd: ctx.root });
  await child.exited;
  return performance.now() - t0;
}

/** Runs the scale figures. */
export async function runScaleBench(ctx: BenchContext): Promise<SectionResult> {
  const details: string[] = [];
  const startMs: number[] = [];
  const rssMB: number[] = [];
  let demand: Array<{ firstMs: number; startupMs: number | null }> = [];
  for (let i = 0; i < STARTS; i++) {
    ctx.log(`scale: host start ${i + 1} of ${STARTS} with ${POOLS} pools`);
    const host = await hostWith(ctx, `scale-start-${i}`, POOLS);
    try {
      startMs.push(host.startMs);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      rssMB.push((rssBytes(host.pid) ?? NaN) / 1024 ** 2);
      if (i === 0) {
        demand = await demandStarts(host);
        const checkMs = await processMs(ctx, [path.join(ctx.root, 'src/cli/main.ts'), 'check', '--config', host.configFile]);
        const bareMs = await processMs(ctx, ['-e', '0']);
        details.push(`where start time goes: \`paddock check\` of the same file ${checkMs.toFixed(0)} ms (Node start, CLI load, config load and validation); \`node -e 0\` ${bareMs.toFixed(0)} ms`);
      }
    } finally {
      await host.stop();
    }
  }
  const alone: number[] = [];
  for (let i = 0; i < DEMAND_SAMPLES; i++) alone.push(await workerAloneMs(ctx, i));
  const many: Array<{ wrk: WrkResult; cpuUs: number; rssMB: number }> = [];
  const one: Array<{ wrk: WrkResult; cpuUs: number; rssMB: number }> = [];
  if (ctx.wrk) {
    for (let i = 0; i < RATE_ROUNDS; i++) {
      for (const [list, count, site] of [[many, POOLS, WARM_SITE], [one, 1, 1]] as const) {
        ctx.log(`scale: requests/s with ${count} route(s), round ${i + 1} of ${RATE_ROUNDS}`);
        const host = await hostWith(ctx, `scale-rate-${count}-${i}`, count);
        try {
          list.push(await rate(ctx, host, site));
        } finally {
          await host.stop();
        }
      }
    }
  }
  const best = (l: ReadonlyArray<{ wrk: WrkResult }>): number => Math.max(...l.map((m) => m.wrk.rps));
  const ratio = many.length && one.length ? best(many) / best(one) : null;
  // Host CPU per request is steadier than requests/s on a shared machine: shown beside the ratio.
  const cpuRatio = median(many.map((m) => m.cpuUs)) / median(one.map((m) => m.cpuUs));
  const firstMs = median(demand.map((d) => d.firstMs));
  const aloneMs = median(alone);
  // Paired per pool: the first request's time minus that same worker's startupMs (event 6002).
  // The worker-alone figure comes from other processes on a shared machine and varies by ±100 ms.
  const overhead = median(demand.filter((d) => d.startupMs !== null).map((d) => d.firstMs - (d.startupMs as number)));
  details.push(
    `host start (spawn to /health): ${startMs.map((m) => m.toFixed(0)).join(', ')} ms`,
    `host RSS 2 s after start, every pool idle: ${rssMB.map((m) => m.toFixed(1)).join(', ')} MB`,
    `first request to an idle pool (sites 11–${10 + DEMAND_SAMPLES}): ${demand.map((d) => d.firstMs.toFixed(1)).join(', ')} ms; the worker's startupMs (event 6002): ${demand.map((d) => d.startupMs ?? '?').join(', ')} ms`,
    `the worker alone, spawn to first answer on a unix socket: ${alone.map((m) => m.toFixed(1)).join(', ')} ms`,
    ...many.map((m, i) => `${POOLS} routes, round ${i + 1}: ${m.wrk.rps.toFixed(0)} req/s, p99 ${fmt(m.wrk.p99Ms, 'ms')}, host CPU ${m.cpuUs.toFixed(2)} µs/request, ${m.wrk.failed} failed`),
    `for scale: host RSS just after start with 1 pool: ${one.map((m) => m.rssMB.toFixed(1)).join(', ')} MB; with ${POOLS} pools: ${many.map((m) => m.rssMB.toFixed(1)).join(', ')} MB`,
    ...one.map((m, i) => `1 route, round ${i + 1}: ${m.wrk.rps.toFixed(0)} req/s, p99 ${fmt(m.wrk.p99Ms, 'ms')}, host CPU ${m.cpuUs.toFixed(2)} µs/request, ${m.wrk.failed} failed`),
  );
  const rows: Row[] = [
    { section: SECTION, figure: `host start, ${POOLS} pools + ${POOLS} sites (median of ${STARTS})`, paddock: fmt(median(startMs), 'ms', 0), anchor: '—', target: `< ${TARGETS.startMs / 1000} s`, verdict: verdict(median(startMs) < TARGETS.startMs) },
    { section: SECTION, figure: 'host RSS, every pool idle (worst start)', paddock: fmt(Math.max(...rssMB), 'MB', 1), anchor: '—', target: `< ${TARGETS.rssMB} MB`, verdict: verdict(Math.max(...rssMB) < TARGETS.rssMB) },
    {
      section: SECTION,
      figure: `requests/s, 1 route among ${POOLS} ÷ 1 route (best of ${RATE_ROUNDS} each)`,
      paddock: ratio === null ? 'wrk not installed' : `${ratio.toFixed(3)}× (${fmt(best(many), '', 0)} vs ${fmt(best(one), '', 0)}; host CPU/request ${cpuRatio.toFixed(2)}×)`,
      anchor: '—',
      target: `≥ ${TARGETS.ratio}×`,
      verdict: verdict(ratio === null ? null : ratio >= TARGETS.ratio),
    },
    {
      section: SECTION,
      figure: `demand-start overhead: first request − the worker's own startupMs (median of ${DEMAND_SAMPLES})`,
      paddock: `${fmt(overhead, 'ms', 1)} (first request ${fmt(firstMs, 'ms', 0)})`,
      anchor: `the worker alone: ${fmt(aloneMs, 'ms', 0)} to its first answer`,
      target: `< ${TARGETS.overheadMs} ms`,
      verdict: verdict(Number.isFinite(overhead) ? overhead < TARGETS.overheadMs : null),
    },
  ];
  return { rows, details };
}
