// The event-loop-blocked detector. A Node worker whose loop is blocked still answers nothing, but a
// loop that is blocked most of the time (long synchronous work per request) still answers pings
// between stalls; this watch turns such a worker into an IIS "reported unhealthy" recycle
// (HSE_REQ_REPORT_UNHEALTHY, event 5078) before its queue backs up.
import { performance } from 'node:perf_hooks';

/** Default per-sample lag that counts as "blocked": PADDOCK_EVENT_LOOP_DELAY_LIMIT_MS. */
export const DEFAULT_DELAY_LIMIT_MS = 1000;
/** Default total blocked time that makes the worker unhealthy: PADDOCK_EVENT_LOOP_DELAY_TIME_MS. */
export const DEFAULT_DELAY_TIME_MS = 10_000;

/**
 * @typedef {object} EventLoopWatchOptions
 * @property {number} limitMs a sample whose lag exceeds this counts as blocked; 0 turns the watch off
 * @property {number} timeMs blocked time within the window that makes the worker unhealthy
 */

/**
 * @typedef {object} LagReport
 * @property {string} reason human-readable, e.g. "event loop blocked for 12.3 s in the last 20 s (limit 1 s)"
 * @property {number} eventLoopDelayMs blocked time summed over the window, rounded
 */

/**
 * Reads the watch's knobs from the environment; bad values fall back to the defaults.
 * @param {NodeJS.ProcessEnv} env
 * @returns {EventLoopWatchOptions}
 */
export function eventLoopWatchOptions(env) {
  return {
    limitMs: nonNegative(env.PADDOCK_EVENT_LOOP_DELAY_LIMIT_MS, DEFAULT_DELAY_LIMIT_MS),
    timeMs: nonNegative(env.PADDOCK_EVENT_LOOP_DELAY_TIME_MS, DEFAULT_DELAY_TIME_MS) || DEFAULT_DELAY_TIME_MS,
  };
}

/**
 * How often to sample: half the limit, so a stall just over the limit is seen, within [10, 500] ms.
 * @param {number} limitMs
 * @returns {number}
 */
export function sampleIntervalMs(limitMs) {
  return Math.min(500, Math.max(10, Math.floor(limitMs / 2)));
}

/**
 * The policy, free of timers: sums the lag of every sample over the limit within a sliding window
 * of 2 × timeMs, and reports once when that sum reaches timeMs. After a report it stays quiet until
 * a whole new window has passed, so one bad minute asks for one recycle, not one per sample.
 */
export class LagWindow {
  /** @type {EventLoopWatchOptions} */
  #options;
  /** @type {{ at: number, lag: number }[]} */
  #samples = [];
  #quietUntil = -Infinity;

  /** @param {EventLoopWatchOptions} options */
  constructor(options) {
    this.#options = options;
  }

  /** The sliding window's length in ms (2 × timeMs). */
  get windowMs() {
    return 2 * this.#options.timeMs;
  }

  /**
   * Records one sample taken at `now` (ms, monotonic) whose timer fired `lagMs` late.
   * @param {number} now
   * @param {number} lagMs
   * @returns {LagReport | null} a report when the worker just became unhealthy
   */
  record(now, lagMs) {
    const { limitMs, timeMs } = this.#options;
    if (limitMs <= 0) return null;
    const since = now - this.windowMs;
    this.#samples = this.#samples.filter((s) => s.at > since);
    if (lagMs > limitMs) this.#samples.push({ at: now, lag: lagMs });
    if (now < this.#quietUntil) return null;
    const blocked = this.#samples.reduce((sum, s) => sum + s.lag, 0);
    if (blocked < timeMs) return null;
    this.#samples = [];
    this.#quietUntil = now + this.windowMs;
    return {
      reason: `event loop blocked for ${seconds(blocked)} s in the last ${seconds(this.windowMs)} s (limit ${seconds(limitMs)} s)`,
      eventLoopDelayMs: Math.round(blocked),
    };
  }
}

/**
 * Samples the loop with an unref'd timer chain (it never keeps the process alive) and hands every
 * report to `onReport`. Lag = when the timer ran − when it was due.
 * @param {EventLoopWatchOptions} options
 * @param {(report: LagReport) => void} onReport
 * @returns {() => void} stops the watch
 */
export function startEventLoopWatch(options, onReport) {
  if (options.limitMs <= 0) return () => {};
  const window = new LagWindow(options);
  const interval = sampleIntervalMs(options.limitMs);
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  let stopped = false;
  const schedule = () => {
    const due = performance.now() + interval;
    timer = setTimeout(() => {
      const now = performance.now();
      try {
        const report = window.record(now, Math.max(0, now - due));
        if (report !== null) onReport(report);
      } catch {
        // a background loop never throws into the app
      }
      if (!stopped) schedule();
    }, interval);
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

/**
 * @param {string | undefined} text
 * @param {number} fallback
 */
function nonNegative(text, fallback) {
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** @param {number} ms */
function seconds(ms) {
  return String(Math.round(ms / 100) / 10);
}
