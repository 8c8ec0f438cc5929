/**
 * When a draining host may exit (pure; the clock is the caller's). A drain ends when the host has
 * been quiet for `idleTime` — no request in flight or queued, and none arrived — or at its
 * deadline, whichever comes first. Quiet is measured from the drain's start at the earliest, so a
 * balancer always gets `idleTime` to see the 503 and stop sending before the host goes away.
 */
import type { DrainEnd } from './drain-control.ts';

/** What the host counts, sampled: requests busy now and a counter of every request seen so far. */
export interface ActivitySample {
  /** Requests in flight or queued, in every pool. */
  readonly busy: number;
  /** Requests granted or refused since the host started: it moves whenever a request arrives. */
  readonly seen: number;
}

export interface DrainWindow {
  readonly startedAt: number;
  readonly deadline: number;
  readonly idleTime: number;
  /** The last time a request was busy or arrived (at least startedAt). */
  readonly lastActivityAt: number;
  /** The `seen` counter at the last sample. */
  readonly seen: number;
}

export type DrainVerdict =
  | { readonly kind: 'wait'; readonly window: DrainWindow }
  | { readonly kind: 'exit'; readonly end: DrainEnd; readonly window: DrainWindow };

/** The window a drain starts with. */
export function openWindow(now: number, idleTime: number, timeLimit: number, sample: ActivitySample): DrainWindow {
  return { startedAt: now, deadline: now + timeLimit, idleTime, lastActivityAt: now, seen: sample.seen };
}

/** Folds one sample into the window and says whether the host may exit now. */
export function judgeDrain(window: DrainWindow, sample: ActivitySample, now: number): DrainVerdict {
  const active = sample.busy > 0 || sample.seen !== window.seen;
  const next: DrainWindow = { ...window, seen: sample.seen, lastActivityAt: active ? now : window.lastActivityAt };
  if (now >= next.deadline) return { kind: 'exit', end: 'deadline', window: next };
  if (!active && now - next.lastActivityAt >= next.idleTime) return { kind: 'exit', end: 'idle', window: next };
  return { kind: 'wait', window: next };
}

/** The host's activity from its pools' snapshots: busy = in flight + queued; seen = granted + refused. */
export function activityOf(pools: ReadonlyArray<{ readonly inFlight: number; readonly queued: number; readonly requests: number; readonly refused: Readonly<Record<string, number>> }>): ActivitySample {
  let busy = 0;
  let seen = 0;
  for (const p of pools) {
    busy += p.inFlight + p.queued;
    seen += p.requests;
    for (const n of Object.values(p.refused)) seen += n;
  }
  return { busy, seen };
}
