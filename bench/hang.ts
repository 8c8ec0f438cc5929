/**
 * Hang detection (issue 3): with pingInterval 1s and pingResponseTime 1s, the time from a worker
 * entering an endless loop to the first request answered by its replacement, and how many of the
 * requests sent meanwhile failed. One worker in the pool, so every request waits on the hung one;
 * 8 loops of keep-alive GETs keep it busy. Five rounds on one host, each hanging at a random
 * phase of the ping timer; the verdict takes the worst. Target: < 2.5 s, none failed.
 */
import type { BenchContext } from './lib/context.ts';
import { eventCounts, faultPool, waitForReady } from './lib/fault-targets.ts';
import { freePort, median, probe, sleep, waitFor } from './lib/http-probe.ts';
import { failedSamples, startLoadLoop } from './lib/load-loop.ts';
import { startPaddock } from './lib/paddock-host.ts';
import { fmt, verdict, type SectionResult } from './lib/report.ts';
import type { PaddockEvent } from '../src/events/event-log.ts';

const SECTION = 'Hang detection';
const ROUNDS = 5;
/** Issue 3's target, in milliseconds. */
const TARGET_MS = 2500;
const ANCHOR = 'PM2 never detects · Gunicorn 30 s (default timeout) · IIS up to 2 min (defaults)';

interface Round {
  readonly hungPid: number;
  /** Wall-clock time the trigger's answer arrived: the hang began then. */
  readonly hungAt: number;
  readonly detectMs: number | null;
  readonly sent: number;
  readonly failed: number;
  /** The slowest answer of the round, in ms: the requests that waited on the hung worker. */
  readonly slowestMs: number;
  readonly note: string;
}

/** Where the time went, from the host's events: hang → 5010 (missed ping) → 6011 (hang report) → replacement's 6002. */
function timeline(r: Round, events: readonly PaddockEvent[]): string {
  const at = (e: PaddockEvent | undefined): number | null => (e ? Date.parse(e.time) - r.hungAt : null);
  const missed = events.find((e) => e.id === 5010 && e.pid === r.hungPid);
  const report = events.find((e) => e.id === 6011 && e.pid === r.hungPid);
  const missedAt = at(missed);
  const ready = missedAt === null ? undefined : events.find((e) => e.id === 6002 && e.pid !== r.hungPid && (at(e) ?? -1) >= missedAt);
  return `5010 at +${fmt(missedAt, 'ms', 0)}, 6011 at +${fmt(at(report), 'ms', 0)} (captureMs ${String(report?.details.captureMs ?? '?')}), replacement ready (6002) at +${fmt(at(ready), 'ms', 0)}`;
}

/** Runs the hang figure. */
export async function runHangBench(ctx: BenchContext): Promise<SectionResult> {
  const pool = faultPool(ctx);
  const host = await startPaddock(ctx, {
    name: 'hang',
    port: await freePort(),
    config: {
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: {
        hello: {
          ...pool,
          processModel: { ...(pool.processModel as object), maxProcesses: 1 },
          // Each round is a missed ping, a failure for rapid-fail protection; the default 5 would stop the pool.
          failure: { rapidFailProtectionMaxCrashes: 100 },
        },
      },
    },
  });
  const rounds: Round[] = [];
  const details: string[] = [];
  try {
    await probe({ port: host.port });
    for (let i = 0; i < ROUNDS; i++) {
      ctx.log(`hang: round ${i + 1} of ${ROUNDS}`);
      await waitForReady(host, 'hello', 1);
      const loop = startLoadLoop({ port: host.port, concurrency: 8, timeoutMs: 10_000 });
      // A random phase against the ping timer: the worker's pings start when it is ready, and a
      // fixed delay would always hang it just after a pong, the slowest case.
      await sleep(1000 + Math.random() * 1000);
      const trigger = await probe({ port: host.port, path: '/hang', timeoutMs: 5_000 });
      const t0 = performance.now();
      const hungAt = Date.now();
      const hungPid = Number(/hanging pid (\d+)/.exec(trigger.body)?.[1] ?? NaN);
      let detectMs: number | null = null;
      await waitFor('an answer from the replacement', () => {
        const first = loop.samples.find((s) => s.end > t0 && s.status === 200 && s.pid !== null && s.pid !== hungPid);
        if (first) detectMs = first.end - t0;
        return first !== undefined;
      }, 20_000, 10).catch(() => undefined);
      await sleep(1000);
      const samples = await loop.stop();
      const failed = failedSamples(samples);
      const reasons = [...new Set(failed.map((s) => s.error ?? String(s.status)))].join(', ');
      const slowestMs = Math.max(0, ...samples.filter((x) => x.status === 200).map((x) => x.end - x.start));
      rounds.push({
        hungPid,
        hungAt,
        detectMs,
        sent: samples.length,
        failed: failed.length,
        slowestMs,
        note: `round ${i + 1}: worker pid ${hungPid} hung; first answer from its replacement after ${fmt(detectMs, 'ms', 0)}; ${failed.length} of ${samples.length} requests failed${failed.length ? ` (${reasons})` : ''}, the slowest answered in ${fmt(slowestMs, 'ms', 0)}`,
      });
    }
    const events = await host.events({ pool: 'hello' });
    details.push(...rounds.map((r) => `${r.note}; ${timeline(r, events)}`), `events of the pool: ${eventCounts(events.map((e) => e.id))}`);
  } finally {
    const { stragglers } = await host.stop();
    if (stragglers.length) details.push(`workers that outlived the host (killed by the bench): ${stragglers.join(', ')}`);
  }
  const times = rounds.map((r) => r.detectMs).filter((ms): ms is number => ms !== null);
  const undetected = rounds.length - times.length;
  const worst = times.length ? Math.max(...times) : null;
  const failed = rounds.reduce((n, r) => n + r.failed, 0);
  const sent = rounds.reduce((n, r) => n + r.sent, 0);
  return {
    rows: [
      {
        section: SECTION,
        figure: `hang → first answer from the replacement (${ROUNDS} rounds)`,
        paddock: `median ${fmt(median(times) / 1000, 's')}, worst ${fmt(worst === null ? null : worst / 1000, 's')}${undetected ? `, ${undetected} never recovered` : ''}`,
        anchor: ANCHOR,
        target: '< 2.5 s',
        verdict: verdict(undetected === 0 && worst !== null && worst < TARGET_MS),
      },
      {
        section: SECTION,
        figure: 'requests failed meanwhile (10 s client timeout)',
        paddock: `${failed} of ${sent}; slowest answer ${fmt(Math.max(...rounds.map((r) => r.slowestMs)) / 1000, 's')}`,
        anchor: "PM2: the requests on the hung worker's connections are never answered (faults figure)",
        target: '0',
        verdict: verdict(failed === 0),
      },
    ],
    details,
  };
}
