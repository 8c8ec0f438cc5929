/**
 * Front-door CPU per request, split into user and system time: wrk drives the front door while
 * its utime and stime are read from /proc before and after (anchors README: the steadiest figure
 * on a shared machine). Rounds of several front doors are taken in turn, and the figures are the
 * medians over rounds; a ratio is taken inside each round, then its median.
 */
import { cpuTimes, type CpuTimes } from './proc-stat.ts';
import { runWrk, type WrkResult } from './wrk.ts';

/** One measured run of one front door. */
export interface CpuRun {
  readonly wrk: WrkResult;
  /** µs of user CPU per completed request. */
  readonly userUs: number;
  /** µs of system CPU per completed request. */
  readonly systemUs: number;
}

/** Median of `values` (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Total (user + system) µs per request of a run. */
export function totalUs(run: CpuRun): number {
  return run.userUs + run.systemUs;
}

/** The load of a measured run, and whose CPU is read: wrk's defaults and the process alone when absent. */
export interface MeasureOptions {
  readonly threads?: number;
  readonly connections?: number;
  /** Reads the front door's CPU (default `cpuTimes`; `groupCpuTimes` for a front door that forks). */
  readonly times?: (pid: number) => CpuTimes;
}

/** Runs wrk against `url` for `seconds` (after `warmSeconds` unmeasured) and reads `pid`'s CPU around it. */
export async function measureCpu(wrk: string, url: string, pid: number, seconds: number, warmSeconds: number, options: MeasureOptions = {}): Promise<CpuRun> {
  const load = { url, threads: options.threads, connections: options.connections };
  const times = options.times ?? cpuTimes;
  if (warmSeconds > 0) await runWrk(wrk, { ...load, seconds: warmSeconds });
  const before = times(pid);
  const result = await runWrk(wrk, { ...load, seconds });
  const after = times(pid);
  const n = Math.max(1, result.requests);
  return { wrk: result, userUs: ((after.user - before.user) / n) * 1e6, systemUs: ((after.system - before.system) / n) * 1e6 };
}

/** The medians over rounds of one front door's runs. */
export interface CpuSummary {
  readonly rounds: number;
  readonly userUs: number;
  readonly systemUs: number;
  readonly totalUs: number;
  readonly rps: number;
  readonly p99Ms: number;
  /** wrk's failures summed over every round. */
  readonly failed: number;
  readonly requests: number;
}

/** Medians of a front door's runs (each figure its own median), failures summed. */
export function summarize(runs: readonly CpuRun[]): CpuSummary {
  return {
    rounds: runs.length,
    userUs: median(runs.map((r) => r.userUs)),
    systemUs: median(runs.map((r) => r.systemUs)),
    totalUs: median(runs.map(totalUs)),
    rps: median(runs.map((r) => r.wrk.rps)),
    p99Ms: median(runs.map((r) => r.wrk.p99Ms ?? NaN)),
    failed: runs.reduce((n, r) => n + r.wrk.failed, 0),
    requests: runs.reduce((n, r) => n + r.wrk.requests, 0),
  };
}

/** Per round, `a`'s total CPU per request over `b`'s; rounds where either is missing are skipped. */
export function roundRatios(a: readonly CpuRun[], b: readonly CpuRun[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const denominator = totalUs(b[i]);
    if (denominator > 0) out.push(totalUs(a[i]) / denominator);
  }
  return out;
}

/** The order of front doors in round `round`: rotated, so none is always measured first or last. */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const k = items.length === 0 ? 0 : round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
