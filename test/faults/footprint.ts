/**
 * The host's own footprint, for fault scenarios that run the host in this process: resident memory
 * after a full GC and open file descriptors, a peak-RSS sampler, and a wait (with a deadline) for
 * the footprint to come back to a baseline.
 */
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { waitFor } from '../helpers/test-host.ts';

export const MB = 1024 * 1024;

// `node --test` starts each file without --expose-gc; the flag can still be set for new contexts.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * What the host (this process) holds after a full GC: the JavaScript heap and the memory outside
 * it that JavaScript objects keep (Buffers), resident memory, and open descriptors. A leak of
 * objects or Buffers shows in `heldBytes`; RSS also holds the pages the allocator and the heap keep
 * for later after a burst, which is no leak, so it gets a looser bound.
 */
export interface Footprint {
  readonly heldBytes: number;
  readonly rssBytes: number;
  readonly fds: number;
}

/** Open file descriptors of this process (/proc/self/fd, less the one readdir itself opens). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length - 1;
}

/** This process's footprint, measured after two full collections. */
export function footprint(): Footprint {
  collectGarbage();
  collectGarbage();
  const m = process.memoryUsage();
  return { heldBytes: m.heapUsed + m.external, rssBytes: m.rss, fds: openFds() };
}

/** How far above the baseline the footprint may settle (a fault must not leave a descriptor per crash). */
export interface Slack {
  readonly heldBytes: number;
  readonly rssBytes: number;
  readonly fds: number;
}

/**
 * Default slack. Held: 16 MB of objects a fault may rightly leave (an event's and a report's
 * records, the log files' buffers). RSS: the allocator keeps freed pages and the heap some room
 * after a burst of load, which is noise, not a leak: a loose bound against a gross one. FDs: two, for the files a fault rightly opens for good (the
 * access log on the first 502, the pool's output log on a dying worker's stderr) — fewer than the
 * three pipes a leaked worker would leave.
 */
export const defaultSlack: Slack = { heldBytes: 16 * MB, rssBytes: 96 * MB, fds: 2 };

/** Waits (with a deadline) until the footprint is back within `slack` of `base`; returns it. */
export async function backToBaseline(base: Footprint, slack: Slack = defaultSlack, timeoutMs = 15_000): Promise<Footprint> {
  let last = footprint();
  try {
    return await waitFor(() => {
      last = footprint();
      const within = last.fds <= base.fds + slack.fds && last.heldBytes <= base.heldBytes + slack.heldBytes && last.rssBytes <= base.rssBytes + slack.rssBytes;
      return within ? last : null;
    }, timeoutMs, 'the host footprint to return to its baseline');
  } catch {
    assert.fail(`the host's footprint did not return to its baseline: fds ${last.fds} (baseline ${base.fds}, slack ${slack.fds}), ` +
      `held ${mb(last.heldBytes)} (baseline ${mb(base.heldBytes)}, slack ${mb(slack.heldBytes)}), ` +
      `RSS ${mb(last.rssBytes)} (baseline ${mb(base.rssBytes)}, slack ${mb(slack.rssBytes)})\nopen: ${describeFds()}`);
  }
}

/** Samples this process's RSS (no GC) until stopped; returns the peak. */
export function watchRss(intervalMs = 50): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** Megabytes, for messages. */
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** What the open descriptors point at, grouped, for a failure message. */
function describeFds(): string {
  const kinds = new Map<string, number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.replace(/\[\d+\]$/, '[]');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${n}× ${k}`).join(', ');
}
