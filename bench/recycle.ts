/**
 * Recycle and reload (issue 4): failed requests (wrk's failures + requests never answered, as in
 * faults.ts) under continuous load (`wrk -t1 -c64`, 2 workers)
 * through 3 admin recycles (`paddock recycle`) and 1 configuration reload that changes the pool
 * (`paddock reload`, event 5080). Anchor: `pm2 reload` ×2 under the same load, measured in this
 * run (shared with the faults figure), else the anchors' 162.
 */
import path from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { eventCounts, faultPool, waitForReady, workersLine } from './lib/fault-targets.ts';
import { freePort, sleep } from './lib/http-probe.ts';
import { fullConfig, startPaddock, writeConfig, type HostSpec } from './lib/paddock-host.ts';
import { verdict, type SectionResult } from './lib/report.ts';
import { describeFailures, runWrk } from './lib/wrk.ts';
import { closeWaitCount } from './lib/tcp-states.ts';
import { failedText, pm2FaultRun } from './faults.ts';

const SECTION = 'Recycle and reload';
const LOAD_SECONDS = 14;
/** When each step starts, in seconds into the load; a step waits for the previous one to finish. */
const STEPS: ReadonlyArray<{ at: number; kind: 'recycle' | 'reload' }> = [
  { at: 2, kind: 'recycle' },
  { at: 4.5, kind: 'recycle' },
  { at: 7, kind: 'recycle' },
  { at: 10, kind: 'reload' },
];

function spec(ctx: BenchContext, port: number, generation: number): HostSpec {
  const pool = faultPool(ctx);
  return {
    name: 'recycle',
    port,
    config: {
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: { hello: { ...pool, env: { BENCH_GENERATION: String(generation) } } },
    },
  };
}

/** Runs the recycle and reload figure. */
export async function runRecycleBench(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.wrk) {
    return { rows: [{ section: SECTION, figure: 'recycle and reload', paddock: 'wrk not installed', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const wrk = ctx.wrk;
  const port = await freePort();
  const host = await startPaddock(ctx, spec(ctx, port, 1));
  const notes: string[] = [];
  let failed = 0;
  let requests = 0;
  let failedLine = '';
  try {
    const url = `http://127.0.0.1:${port}/`;
    ctx.log('recycle: 3 × paddock recycle and 1 × paddock reload under load');
    await runWrk(wrk, { url, seconds: 2 });
    const before = (await host.workers('hello')).filter((w) => w.state === 'ready').length;
    notes.push(`workers before the run: ${before}`);
    const load = runWrk(wrk, { url, seconds: LOAD_SECONDS });
    const t0 = Date.now();
    const steps = (async () => {
      for (const [i, step] of STEPS.entries()) {
        await sleep(Math.max(0, t0 + step.at * 1000 - Date.now()));
        const started = Date.now();
        const old = (await host.workers('hello')).map((w) => w.pid).filter((p): p is number => p !== null);
        try {
          if (step.kind === 'reload') writeConfig(host.configFile, fullConfig(path.dirname(host.configFile), spec(ctx, port, 2)));
          const r = await host.cli([step.kind === 'recycle' ? 'recycle' : 'reload', ...(step.kind === 'recycle' ? ['hello'] : [])]);
          if (r.code !== 0) throw new Error(`paddock ${step.kind} exited ${r.code}: ${r.output.trim()}`);
          await waitForReady(host, 'hello', Math.max(1, before), old);
          notes.push(`${step.kind} ${i + 1}: old workers replaced in ${Date.now() - started} ms (at ${((started - t0) / 1000).toFixed(1)} s)`);
        } catch (err) {
          notes.push(`${step.kind} ${i + 1} failed: ${(err as Error).message}`);
        }
      }
    })();
    const [result] = await Promise.all([load, steps]);
    await sleep(1000);
    const unanswered = closeWaitCount(port);
    failed = result.failed + unanswered;
    requests = result.requests;
    failedLine = failedText(failed, requests, result, unanswered);
    notes.unshift(`Paddock: ${describeFailures(result)}; never answered (CLOSE_WAIT after wrk left): ${unanswered}; ${result.rps.toFixed(0)} req/s`);
    const events = await host.events({ pool: 'hello' });
    notes.push(`workers after the run: ${await workersLine(host, 'hello')}`);
    notes.push(`events of the pool: ${eventCounts(events.map((e) => e.id))}`);
  } finally {
    const { stragglers } = await host.stop();
    if (stragglers.length) notes.push(`workers that outlived the host (killed by the bench): ${stragglers.join(', ')}`);
  }
  const pm2 = await pm2FaultRun(ctx, 'recycle');
  if (pm2) notes.push(`PM2 (pm2 reload ×2, shared with the faults figure): ${describeFailures(pm2.wrk)}; never answered: ${pm2.unanswered}`);
  const stepErrors = notes.filter((n) => / failed: /.test(n)).length;
  return {
    rows: [
      {
        section: SECTION,
        figure: 'failed requests: 3 × paddock recycle + 1 × paddock reload',
        paddock: `${failedLine || `${failed} of ${requests}`}${stepErrors ? `; ${stepErrors} step(s) failed` : ''}`,
        anchor: pm2 ? `pm2 reload ×2: ${failedText(pm2.failed, pm2.wrk.requests, pm2.wrk, pm2.unanswered)}` : 'pm2 reload ×2: 162 (anchors)',
        target: '0',
        verdict: verdict(failed === 0 && stepErrors === 0),
      },
    ],
    details: notes,
  };
}
