/**
 * Overload (issue 12): a pool of one worker limited to LIMIT requests at once
 * (`maxConcurrentRequestsPerWorker`), whose requests each take SERVICE_MS, offered 4× what it can
 * serve by an open-loop client. The figures are the p99 latency of the requests admitted (answered
 * 200) and the share refused with 503, beside HAProxy doing the same with `maxconn` and
 * `timeout queue` in front of the same worker in the same run. Paddock runs twice: with a short
 * queue (`queueLength`, the excess is refused at once) and with a queue as open as HAProxy's, where
 * only `queueTimeout` bounds the wait.
 *
 * Runs alone: `node bench/overload.ts`, or as the `overload` section of `npm run bench`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileSync } from 'node:fs';
import type { BenchContext } from './lib/context.ts';
import { createContext } from './lib/context.ts';
import { renderTemplate } from './lib/anchor-proxies.ts';
import { spawnTracked, stopAll, stopChild } from './lib/children.ts';
import { accepting, freePort, waitFor } from './lib/http-probe.ts';
import { openLoop, quantile, type OpenLoopResult } from './lib/open-loop.ts';
import { startPaddock } from './lib/paddock-host.ts';
import { fmt, renderTable, type Row, type SectionResult } from './lib/report.ts';
import { findExecutable } from './lib/tools.ts';

const SECTION = 'Overload';
const SERVICE_MS = 20;
const LIMIT = 4;
/** What the limit serves: LIMIT requests every SERVICE_MS. */
const CAPACITY = (LIMIT * 1000) / SERVICE_MS;
const OFFERED = 4 * CAPACITY;
const QUEUE_TIMEOUT_MS = 500;
const SHORT_QUEUE = 16;

interface Measured {
  readonly label: string;
  readonly result: OpenLoopResult | null;
  readonly missing?: string;
}

function share(r: OpenLoopResult, key: string): number {
  return (100 * (r.outcomes[key] ?? 0)) / Math.max(1, r.sent);
}

function describe(m: Measured, seconds: number): string {
  const r = m.result;
  if (r === null) return m.missing ?? '—';
  return `p99 ${fmt(quantile(r.admittedMs, 0.99), 'ms')} · ${fmt(share(r, '503'), '%', 1)} refused 503 · ${fmt((r.outcomes['200'] ?? 0) / seconds, 'served/s', 0)}`;
}

function outcomes(r: OpenLoopResult | null): string {
  if (r === null) return 'not measured';
  return Object.entries(r.outcomes).map(([k, n]) => `${n} × ${k}`).join(', ');
}

async function paddockRun(ctx: BenchContext, queueLength: number): Promise<Measured> {
  const port = await freePort();
  const host = await startPaddock(ctx, {
    name: `overload-q${queueLength}`,
    port,
    config: {
      sites: [{ name: 'slow', hosts: ['*'], apps: [{ path: '/', pool: 'slow' }] }],
      pools: {
        slow: {
          command: ['node', path.join(ctx.root, 'bench/workers/slow.mjs')],
          runtime: 'node',
          env: { SERVICE_MS: String(SERVICE_MS) },
          queueLength,
          startMode: 'AlwaysRunning',
          processModel: { maxConcurrentRequestsPerWorker: LIMIT, queueTimeout: `${QUEUE_TIMEOUT_MS}ms` },
        },
      },
    },
  });
  try {
    await waitFor('the overload pool ready', async () => (await host.workers('slow')).some((w) => w.state === 'ready'), 30_000, 20);
    ctx.log(`overload: Paddock, queueLength ${queueLength}`);
    await openLoop({ port, ratePerSecond: CAPACITY, seconds: 1 });
    return { label: `Paddock queueLength ${queueLength}`, result: await openLoop({ port, ratePerSecond: OFFERED, seconds: ctx.seconds }) };
  } finally {
    await host.stop();
  }
}

async function haproxyRun(ctx: BenchContext, upstreamPort: number): Promise<Measured> {
  const label = 'HAProxy';
  const haproxy = findExecutable('haproxy');
  if (!haproxy) return { label, result: null, missing: 'not installed' };
  const port = await freePort();
  const conf = path.join(ctx.tmp, 'haproxy-overload.cfg');
  writeFileSync(conf, renderTemplate(path.join(ctx.root, 'bench/haproxy-overload.cfg'), { LISTEN_PORT: port, UPSTREAM_PORT: upstreamPort, MAXCONN: LIMIT, QUEUE_TIMEOUT: `${QUEUE_TIMEOUT_MS}ms` }));
  const child = spawnTracked('haproxy overload', haproxy, ['-f', conf, '-db'], { logFile: path.join(ctx.tmp, 'haproxy-overload.log') });
  try {
    await waitFor(`HAProxy on ${port}`, () => accepting({ port }), 15_000, 10);
    ctx.log('overload: HAProxy');
    await openLoop({ port, ratePerSecond: CAPACITY, seconds: 1 });
    return { label, result: await openLoop({ port, ratePerSecond: OFFERED, seconds: ctx.seconds }) };
  } finally {
    await stopChild(child, 'SIGTERM', 5_000);
  }
}

/** Runs the overload figures. */
export async function runOverloadBench(ctx: BenchContext): Promise<SectionResult> {
  const workerPort = await freePort();
  const worker = spawnTracked('slow worker', process.execPath, [path.join(ctx.root, 'bench/workers/slow.mjs')], {
    env: { PORT: String(workerPort), SERVICE_MS: String(SERVICE_MS) },
    logFile: path.join(ctx.tmp, 'slow-worker.log'),
  });
  let anchor: Measured;
  try {
    await waitFor('the slow worker', () => accepting({ port: workerPort }), 15_000, 10);
    anchor = await haproxyRun(ctx, workerPort);
  } finally {
    await stopChild(worker, 'SIGTERM', 5_000);
  }
  const short = await paddockRun(ctx, SHORT_QUEUE);
  const open = await paddockRun(ctx, 1000);
  const setting = `one worker, ${LIMIT} requests at once of ${SERVICE_MS} ms (serves ${CAPACITY}/s), offered ${OFFERED}/s open-loop for ${ctx.seconds} s; queue wait ≤ ${QUEUE_TIMEOUT_MS} ms`;
  const anchorText = `HAProxy maxconn ${LIMIT} + timeout queue ${QUEUE_TIMEOUT_MS}ms: ${describe(anchor, ctx.seconds)}`;
  const rows: Row[] = [
    { section: SECTION, figure: `4× overload, short queue (queueLength ${SHORT_QUEUE}): admitted p99 · refused`, paddock: describe(short, ctx.seconds), anchor: anchorText, target: '—', verdict: 'info' },
    { section: SECTION, figure: '4× overload, open queue (queueLength 1000, queueTimeout alone): admitted p99 · refused', paddock: describe(open, ctx.seconds), anchor: anchorText, target: '—', verdict: 'info' },
  ];
  const details = [
    setting,
    `Paddock queueLength ${SHORT_QUEUE}: ${outcomes(short.result)}; p50 ${fmt(quantile(short.result?.admittedMs ?? [], 0.5), 'ms')}`,
    `Paddock queueLength 1000: ${outcomes(open.result)}; p50 ${fmt(quantile(open.result?.admittedMs ?? [], 0.5), 'ms')}`,
    `HAProxy: ${outcomes(anchor.result)}; p50 ${fmt(quantile(anchor.result?.admittedMs ?? [], 0.5), 'ms')}`,
  ];
  return { rows, details };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ctx = createContext();
  try {
    const result = await runOverloadBench(ctx);
    process.stdout.write(`${renderTable(result.rows)}\n\n${result.details.map((d) => `- ${d}`).join('\n')}\n`);
  } finally {
    await stopAll();
    if (process.env.BENCH_KEEP !== '1') rmSync(ctx.tmp, { recursive: true, force: true });
  }
}
