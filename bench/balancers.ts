/**
 * Beyond one machine (issue 14): two Paddock hosts behind a real HAProxy configured by
 * `paddock lb haproxy`, under continuous load, with the scenarios of test/balancers.test.ts —
 * a pool crash-looping into rapid-fail on host A (HAProxy in http mode, then in tcp mode with
 * TcpLevel), and host A drained. The anchor is one host without a balancer taking the same fault,
 * where every request to the failed pool gets a 503 from the 5002 on.
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { BenchContext } from './lib/context.ts';
import { fmt, verdict, type Row, type SectionResult } from './lib/report.ts';
import { farmUnavailable, freePorts, readyPid, startFarmHost, until } from '../test/balancers/farm.ts';
import { drainA, rapidFailOnA, restoreOnA, servedBy, startFarm, startLoads, type Farm, type FarmLoads, type RapidFailFacts } from '../test/balancers/scenarios.ts';
import { timedLoad, type TimedLoadResult } from '../test/balancers/timed-load.ts';

const SECTION = 'Balancers';
/** Keep-alive connections per pool's load. */
const CONCURRENCY = 4;
/** How long after the 5002 the figures look (the test's window). */
const WATCH_MS = 2_500;

function counts(r: TimedLoadResult): string {
  return `${r.failed} of ${r.ok + r.failed}`;
}

function outcomes(r: TimedLoadResult): string {
  return Object.entries(r.outcomes).filter(([k]) => k !== '200').map(([k, n]) => `${n} × ${k}`).join(', ') || 'none';
}

interface AloneFacts {
  readonly afterFailed: number;
  readonly afterTotal: number;
  readonly good: TimedLoadResult;
  readonly bad: TimedLoadResult;
}

/** The anchor: one host, no balancer, the same fault; what clients of `bad` get for WATCH_MS after the 5002. */
async function oneHostAlone(ctx: BenchContext): Promise<AloneFacts> {
  const [port, healthPort] = await freePorts(2);
  const host = await startFarmHost({ name: 'alone', dir: path.join(ctx.tmp, 'balancers-alone'), port, healthPort });
  const good = timedLoad({ port, path: '/good', concurrency: CONCURRENCY });
  const bad = timedLoad({ port, path: '/bad', concurrency: CONCURRENCY });
  try {
    const pid = await readyPid(host, 'bad');
    await servedBy(bad, pid, 5);
    writeFileSync(host.crashMarker('bad'), '');
    process.kill(pid, 'SIGKILL');
    const at = await until('the 5002 of the lone host', 20_000, async () => {
      const e = await host.admin<Array<{ time: string }>>('GET', '/api/events?id=5002&pool=bad');
      return e.length > 0 ? Date.parse(e[0].time) : null;
    }, 25);
    await new Promise((r) => setTimeout(r, Math.max(0, at + WATCH_MS - Date.now())));
    const [g, b] = await Promise.all([good.stop(), bad.stop()]);
    const after = b.answers.filter((x) => x.at > at && x.at <= at + WATCH_MS);
    return { afterFailed: after.filter((x) => x.outcome !== '200').length, afterTotal: after.length, good: g, bad: b };
  } finally {
    await Promise.all([good.stop(), bad.stop()]);
    await host.stop();
  }
}

function rapidFailRows(label: string, pool: string, f: RapidFailFacts, anchor: string, zeroTarget: boolean): Row[] {
  const after = f.lastToStoppedAt - f.rapidFailAt;
  return [
    {
      section: SECTION,
      figure: `${label}: failed requests while pool ${pool} crash-loops into rapid-fail on host A`,
      paddock: `${pool} ${counts(f.bad)} (${outcomes(f.bad)}); good ${counts(f.good)}`,
      anchor,
      target: zeroTarget ? '0' : 'counted',
      verdict: zeroTarget ? verdict(f.bad.failed === 0 && f.good.failed === 0) : f.good.failed === 0 ? 'info' : 'MISS',
    },
    {
      section: SECTION,
      figure: `${label}: time from 5002 to the last request routed to A's stopped pool`,
      paddock: `${after >= 0 ? '+' : ''}${fmt(after, 'ms', 0)} (${f.handedAfter} requests after the 5002)`,
      anchor: 'one host: none routed away, ever (until an administrator starts the pool)',
      target: '< 2 s',
      verdict: verdict(after < 2_000),
    },
  ];
}

/** Runs the farm scenarios and the lone host beside them. */
export async function runBalancersBench(ctx: BenchContext): Promise<SectionResult> {
  const missing = farmUnavailable();
  if (missing) return { rows: [{ section: SECTION, figure: 'two hosts behind HAProxy', paddock: missing, anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  const details: string[] = [
    `two Paddock hosts on loopback (paddock run), each serving pools good and bad; HAProxy configured by paddock lb haproxy --inter 200ms --fall 2 --rise 1; ${CONCURRENCY} keep-alive GET loops per pool through HAProxy; the fault: the pool's crash marker, then SIGKILL of its worker on A, each replacement exiting soon after it is ready, rapid-fail after 3 failures`,
  ];
  ctx.log('balancers: one host without a balancer');
  const alone = await oneHostAlone(ctx);
  details.push(`one host, no balancer: bad ${counts(alone.bad)} over the run (${outcomes(alone.bad)}), of which ${alone.afterFailed} of ${alone.afterTotal} in the ${WATCH_MS} ms after the 5002; good ${counts(alone.good)}`);
  const anchorText = `one host, no balancer: bad ${alone.afterFailed} of ${alone.afterTotal} in the ${WATCH_MS / 1000} s after the 5002 (503); good ${alone.good.failed}`;

  ctx.log('balancers: two hosts behind HAProxy');
  const farm: Farm = await startFarm();
  const loads: FarmLoads[] = [];
  const load = (via: 'http' | 'tcp', failing: 'bad' | 'bad4'): FarmLoads => {
    const l = startLoads(farm, via, failing, CONCURRENCY);
    loads.push(l);
    return l;
  };
  try {
    const http = await rapidFailOnA(farm, load('http', 'bad'), { watchMs: WATCH_MS });
    details.push(`http: 5002 → HAProxy marked bad/a ${http.markedAs} at ${http.markedAt === null ? 'never' : `+${http.markedAt - http.rapidFailAt} ms`}; ${http.handedAfter} requests reached A's stopped pool after the 5002 (each answered 503 and retried by HAProxy on B); good ${counts(http.good)}, bad ${counts(http.bad)}`);
    const tcp = await rapidFailOnA(farm, load('tcp', 'bad4'), { watchMs: WATCH_MS });
    details.push(`tcp (layer 4, TcpLevel): ${tcp.bad.failed} requests to the failing pool failed (${outcomes(tcp.bad)}): the requests that met A's stopped pool before the check took A out (marked ${tcp.markedAs} at ${tcp.markedAt === null ? 'never' : `+${tcp.markedAt - tcp.rapidFailAt} ms`}); a layer-4 balancer has sent them and cannot retry them, the client's next connection goes to B`);
    const drainLoads = load('http', 'bad');
    await restoreOnA(farm, drainLoads);
    const drain = await drainA(farm, drainLoads);
    details.push(`drain of A: HAProxy saw A as ${drain.statesSeen.join(', ')}; A exited ${drain.exitedAt - drain.drainAt} ms after the drain began (exit code ${drain.exitCode})`);
    const rows: Row[] = [
      ...rapidFailRows('2 hosts, HAProxy http', 'bad', http, anchorText, true),
      ...rapidFailRows('2 hosts, HAProxy tcp (layer 4), TcpLevel', 'bad4', tcp, anchorText, false),
      {
        section: SECTION,
        figure: '2 hosts, HAProxy http: failed requests while host A is drained (paddock drain)',
        paddock: `good ${counts(drain.good)}, bad ${counts(drain.bad)}; A exited on its own after ${fmt((drain.exitedAt - drain.drainAt) / 1000, 's', 1)}`,
        anchor: '—',
        target: '0',
        verdict: verdict(drain.good.failed === 0 && drain.bad.failed === 0 && drain.exitCode === 0),
      },
    ];
    return { rows, details };
  } finally {
    await Promise.all(loads.flatMap((l) => [l.good.stop(), l.bad.stop()]));
    await farm.stop();
  }
}
