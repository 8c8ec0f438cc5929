/**
 * Faults under load (issue 6): Paddock beside PM2 cluster mode, 2 workers each, `wrk -t1 -c64`
 * for 12 s while the bench injects 3 × kill -9 of a worker, 2 × recycle (`paddock recycle` /
 * `pm2 reload`), or 1 endless loop in one worker. Failed requests = wrk's non-2xx + socket errors.
 * Afterwards 20 fresh requests tell whether the system recovered. Target: Paddock 0 failed GETs.
 */
import type { BenchContext } from './lib/context.ts';
import { once } from './lib/context.ts';
import { paddockTarget, pm2Target, type FaultTarget } from './lib/fault-targets.ts';
import { probe, sleep } from './lib/http-probe.ts';
import { ensurePm2 } from './lib/pm2.ts';
import { verdict, type Row, type SectionResult } from './lib/report.ts';
import { closeWaitCount } from './lib/tcp-states.ts';
import { describeFailures, runWrk, type WrkResult } from './lib/wrk.ts';

const SECTION = 'Faults under load';
/** The anchors' load: 12 s of 64 keep-alive connections. */
export const FAULT_SECONDS = 12;
const WARM_SECONDS = 2;

export type FaultKind = 'kill' | 'recycle' | 'hang';

export interface FaultRun {
  readonly system: string;
  readonly kind: FaultKind;
  readonly wrk: WrkResult;
  /** Requests never answered: connections still in CLOSE_WAIT after wrk left (lib/tcp-states.ts). */
  readonly unanswered: number;
  /** wrk's failures plus the unanswered requests. */
  readonly failed: number;
  /** Of FRESH_PROBES fresh requests sent at once after the run, how many answered 200 within 2 s. */
  readonly answeredAfter: number;
  readonly notes: string[];
}

const PLANS: Readonly<Record<FaultKind, { label: string; at: readonly number[]; anchor: string }>> = {
  kill: { label: 'kill -9 of a worker ×3', at: [2, 5, 8], anchor: '37 (anchors)' },
  recycle: { label: 'recycle ×2 (paddock recycle / pm2 reload)', at: [2, 6], anchor: '162 (anchors)' },
  hang: { label: 'endless loop in one worker ×1', at: [2], anchor: 'never detected (anchors)' },
};

async function inject(kind: FaultKind, target: FaultTarget, i: number, notes: string[]): Promise<void> {
  const t = Date.now();
  if (kind === 'kill') {
    const pids = await target.workerPids();
    const pid = pids[i % Math.max(1, pids.length)];
    if (pid === undefined) {
      notes.push(`kill ${i + 1}: no worker to kill`);
      return;
    }
    process.kill(pid, 'SIGKILL');
    notes.push(`kill ${i + 1}: pid ${pid} (of ${pids.length} workers)`);
  } else if (kind === 'recycle') {
    await target.recycle();
    notes.push(`recycle ${i + 1}: done in ${Date.now() - t} ms`);
  } else {
    const pid = await target.hang();
    notes.push(`endless loop: pid ${pid} answered GET /hang, then spun`);
  }
}

/** Fresh requests sent at once after a run: they show whether the system recovered. */
const FRESH_PROBES = 20;

/** How many of FRESH_PROBES fresh requests, sent at once, answer 200 within 2 s. */
async function answeredAfter(port: number): Promise<number> {
  const answers = await Promise.allSettled(Array.from({ length: FRESH_PROBES }, () => probe({ port, timeoutMs: 2_000 })));
  return answers.filter((a) => a.status === 'fulfilled' && a.value.status === 200).length;
}

/** Runs one fault under load against a fresh target. */
export async function faultRun(ctx: BenchContext, kind: FaultKind, start: () => Promise<FaultTarget>): Promise<FaultRun> {
  const wrk = ctx.wrk as string;
  const target = await start();
  const notes: string[] = [];
  try {
    const url = `http://127.0.0.1:${target.port}/`;
    await runWrk(wrk, { url, seconds: WARM_SECONDS });
    notes.push(`workers before the run: ${(await target.workerPids()).length}`);
    const load = runWrk(wrk, { url, seconds: FAULT_SECONDS });
    const t0 = Date.now();
    const injected = (async () => {
      for (const [i, at] of PLANS[kind].at.entries()) {
        await sleep(Math.max(0, t0 + at * 1000 - Date.now()));
        await inject(kind, target, i, notes).catch((err: Error) => notes.push(`injection ${i + 1} failed: ${err.message}`));
      }
    })();
    const [result] = await Promise.all([load, injected]);
    await sleep(1000);
    const unanswered = closeWaitCount(target.port);
    const answered = await answeredAfter(target.port);
    notes.push(...(await target.facts().catch((err: Error) => [`facts unavailable: ${err.message}`])));
    return { system: target.name, kind, wrk: result, unanswered, failed: result.failed + unanswered, answeredAfter: answered, notes };
  } finally {
    notes.push(...(await target.stop()));
  }
}

/** PM2's figure for a fault, measured once per run (the recycle figure is also issue 4's anchor). */
export function pm2FaultRun(ctx: BenchContext, kind: FaultKind): Promise<FaultRun | null> {
  return once(ctx, `pm2-fault-${kind}`, async () => {
    if (!ctx.wrk || !(await ensurePm2(ctx))) return null;
    ctx.log(`faults: PM2 ${kind}`);
    return faultRun(ctx, kind, () => pm2Target(ctx));
  });
}

/** "32 of 90392 (32 answered after > 2 s)": the total, then what kind of failures made it. */
export function failedText(failed: number, requests: number, wrk: WrkResult, unanswered: number): string {
  const errors = wrk.non2xx + wrk.errors.connect + wrk.errors.read + wrk.errors.write;
  const parts = [
    errors ? `${errors} errors` : '',
    wrk.errors.timeout ? `${wrk.errors.timeout} answered after > 2 s` : '',
    unanswered ? `${unanswered} never answered` : '',
  ].filter(Boolean);
  return `${failed} of ${requests}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function describe(run: FaultRun): string {
  return `${run.system}, ${PLANS[run.kind].label}: ${describeFailures(run.wrk)}; never answered (CLOSE_WAIT after wrk left): ${run.unanswered}; ${run.wrk.rps.toFixed(0)} req/s; afterwards ${run.answeredAfter} of ${FRESH_PROBES} fresh requests answered. ${run.notes.join('; ')}`;
}

/** Runs the three faults against Paddock and PM2. */
export async function runFaultsBench(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.wrk) {
    return { rows: [{ section: SECTION, figure: 'faults', paddock: 'wrk not installed', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const rows: Row[] = [];
  const details: string[] = [
    'failed = wrk\'s failures (a non-2xx answer, a socket error, or an answer later than its 2 s timeout) + requests never answered. ' +
      'wrk cannot see a request that is never answered; those are counted as the connections left in CLOSE_WAIT on the ' +
      `server's port 1 s after wrk exits. The ${FRESH_PROBES} fresh requests sent after the run (2 s timeout each) show whether the system recovered.`,
  ];
  for (const kind of ['kill', 'recycle', 'hang'] as const) {
    ctx.log(`faults: Paddock ${kind}`);
    const mine = await faultRun(ctx, kind, () => paddockTarget(ctx, `fault-${kind}`));
    const theirs = await pm2FaultRun(ctx, kind);
    const recoveredText = (r: FaultRun): string => (kind === 'hang' ? `; after: ${r.answeredAfter} of ${FRESH_PROBES} fresh requests answered` : '');
    rows.push({
      section: SECTION,
      figure: `failed requests: ${PLANS[kind].label}`,
      paddock: `${failedText(mine.failed, mine.wrk.requests, mine.wrk, mine.unanswered)}${recoveredText(mine)}`,
      anchor: theirs
        ? `PM2 ${failedText(theirs.failed, theirs.wrk.requests, theirs.wrk, theirs.unanswered)}${recoveredText(theirs)}`
        : `PM2 not installed; ${PLANS[kind].anchor}`,
      target: kind === 'hang' ? `0; ${FRESH_PROBES} of ${FRESH_PROBES} after` : '0',
      verdict: verdict(mine.failed === 0 && mine.answeredAfter === FRESH_PROBES),
    });
    details.push(describe(mine));
    if (theirs) details.push(describe(theirs));
  }
  return { rows, details };
}
