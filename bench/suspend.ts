/**
 * Suspend (issue 4): first-request latency of a pool whose idle worker was frozen
 * (`idleTimeoutAction: Suspend`) and thawed by the request, beside a pool whose idle worker was
 * stopped (`Terminate`, IIS's default) and must start cold. Both pools on one host, `idleTimeout`
 * 1 s; each request on a fresh connection; median of several rounds.
 */
import type { BenchContext } from './lib/context.ts';
import { eventCounts } from './lib/fault-targets.ts';
import { freePort, median, probe, waitFor } from './lib/http-probe.ts';
import { startPaddock, type PaddockHost } from './lib/paddock-host.ts';
import { fmt, verdict, type SectionResult } from './lib/report.ts';

const SECTION = 'Suspend';
const ROUNDS = 5;

interface Sampled {
  readonly ms: number[];
  readonly samePid: number;
  readonly errors: string[];
}

function pool(ctx: BenchContext, action: 'Suspend' | 'Terminate'): Record<string, unknown> {
  return {
    command: ['node', ctx.workerFile],
    runtime: 'node',
    listen: 'unix',
    processModel: { idleTimeout: '1s', idleTimeoutAction: action },
  };
}

/** Waits for the pool's worker to be idle-suspended (or gone), then times one request. */
async function sample(host: PaddockHost, name: string, action: 'Suspend' | 'Terminate'): Promise<Sampled> {
  const ms: number[] = [];
  const errors: string[] = [];
  let samePid = 0;
  const headers = { host: `${name}.test` };
  let lastPid = Number(/pid (\d+)/.exec((await probe({ port: host.port, path: '/pid', headers })).body)?.[1]);
  for (let i = 0; i < ROUNDS; i++) {
    try {
      await waitFor(`${name} idle (${action})`, async () => {
        const ws = await host.workers(name);
        return action === 'Suspend' ? ws.some((w) => w.state === 'suspended') : ws.every((w) => w.state === 'stopped');
      }, 15_000, 20);
      const r = await probe({ port: host.port, path: '/pid', headers, timeoutMs: 10_000 });
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      ms.push(r.ms);
      const pid = Number(/pid (\d+)/.exec(r.body)?.[1]);
      if (pid === lastPid) samePid++;
      lastPid = pid;
    } catch (err) {
      errors.push(`${name} round ${i + 1}: ${(err as Error).message}`);
    }
  }
  return { ms, samePid, errors };
}

/** Runs the suspend figure. */
export async function runSuspendBench(ctx: BenchContext): Promise<SectionResult> {
  const host = await startPaddock(ctx, {
    name: 'suspend',
    port: await freePort(),
    config: {
      sites: [
        { name: 'susp', hosts: ['susp.test'], apps: [{ path: '/', pool: 'susp' }] },
        { name: 'term', hosts: ['term.test'], apps: [{ path: '/', pool: 'term' }] },
      ],
      pools: { susp: pool(ctx, 'Suspend'), term: pool(ctx, 'Terminate') },
    },
  });
  const details: string[] = [];
  let thaw: Sampled;
  let cold: Sampled;
  try {
    ctx.log(`suspend: ${ROUNDS} thaws and ${ROUNDS} cold starts`);
    [thaw, cold] = await Promise.all([sample(host, 'susp', 'Suspend'), sample(host, 'term', 'Terminate')]);
    const events = [...(await host.events({ pool: 'susp' })), ...(await host.events({ pool: 'term' }))];
    details.push(
      `thawed (Suspend): ${thaw.ms.map((m) => m.toFixed(1)).join(', ')} ms; answered by the same pid ${thaw.samePid} of ${thaw.ms.length} times`,
      `cold (Terminate): ${cold.ms.map((m) => m.toFixed(1)).join(', ')} ms`,
      `events: ${eventCounts(events.map((e) => e.id))}`,
      ...thaw.errors,
      ...cold.errors,
    );
  } finally {
    const { stragglers } = await host.stop();
    if (stragglers.length) details.push(`workers that outlived the host (killed by the bench): ${stragglers.join(', ')}`);
  }
  const thawMs = median(thaw.ms);
  const coldMs = median(cold.ms);
  const complete = thaw.ms.length === ROUNDS && cold.ms.length === ROUNDS && thaw.samePid === ROUNDS;
  return {
    rows: [
      {
        section: SECTION,
        figure: `first request after thaw, median of ${ROUNDS}`,
        paddock: `${fmt(thawMs, 'ms')}${Number.isFinite(thawMs / coldMs) ? ` (${(coldMs / thawMs).toFixed(0)}× faster than cold)` : ''}`,
        anchor: `cold start (Terminate), same run: ${fmt(coldMs, 'ms')}`,
        target: 'faster than a cold start',
        verdict: verdict(Number.isFinite(thawMs) && Number.isFinite(coldMs) ? complete && thawMs < coldMs : null),
      },
    ],
    details,
  };
}
