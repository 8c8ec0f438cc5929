/**
 * The host's drain (`paddock drain`): takes the host out of its balancers' rotation for
 * maintenance without a failed request. While draining, every pool's readiness answers 503
 * (readiness.ts), the front door keeps serving whatever still arrives but answers with
 * `Connection: close` so keep-alive clients reconnect elsewhere, and the host exits once it has
 * been quiet for `drain.idleTime` or at the drain's deadline (drain-policy.ts decides; this file
 * samples and acts). `paddock drain --cancel` puts the host back.
 *
 * Events 7200 (started), 7201 (cancelled), 7202 (finished) record each step; `status` events carry
 * a one-line status for a service manager (systemd's STATUS=), emitted whenever it changes.
 */
import { EventEmitter } from 'node:events';
import type { DrainConfig } from '../config/types.ts';
import type { EventLog } from '../events/event-log.ts';
import { EventIds } from '../events/event-ids.ts';
import { AdminError } from './host-control.ts';
import type { DrainControl, DrainEnd, DrainSnapshot, DrainStartOptions, DrainState } from './drain-control.ts';
import { judgeDrain, openWindow, type ActivitySample, type DrainWindow } from './drain-policy.ts';

/** What the drain needs from the host. */
export interface DrainHost {
  readonly events: EventLog;
  /** The drain settings now (a reload may change them; a drain in progress keeps its own). */
  limits(): DrainConfig;
  /** Requests busy and seen, across every pool. */
  activity(): ActivitySample;
  /** Tells the front door to close keep-alive connections after each answer (or to stop doing so). */
  setClosing(closing: boolean): void;
  /** Stops the host; called once, when the drain ends. */
  finish(end: DrainEnd): void;
  /** Default Date.now. */
  readonly now?: () => number;
}

/** How often the drain samples activity; quiet is judged to this precision. */
const SAMPLE_MS = 100;

/** The host's drain: a small state machine (serving → draining → stopping, or back to serving). */
export class HostDrain extends EventEmitter implements DrainControl {
  readonly #host: DrainHost;
  readonly #now: () => number;
  #state: DrainState = 'serving';
  #window: DrainWindow | null = null;
  #seenAtStart = 0;
  #busy = 0;
  #end: DrainEnd | null = null;
  #timer: NodeJS.Timeout | null = null;
  #status = '';

  constructor(host: DrainHost) {
    super();
    this.#host = host;
    this.#now = host.now ?? Date.now;
  }

  get draining(): boolean {
    return this.#state !== 'serving';
  }

  get state(): DrainState {
    return this.#state;
  }

  /** The one-line status a service manager shows (systemd STATUS=); empty while serving. */
  get status(): string {
    return this.#status;
  }

  snapshot(): DrainSnapshot {
    const limits = this.#host.limits();
    const w = this.#window;
    const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
    return {
      state: this.#state,
      startedAt: iso(w?.startedAt),
      deadline: iso(w?.deadline),
      idleTime: w?.idleTime ?? limits.idleTime,
      timeLimit: w ? w.deadline - w.startedAt : limits.timeLimit,
      busy: w ? this.#busy : this.#host.activity().busy,
      lastActivityAt: iso(w?.lastActivityAt),
      requestsSince: w ? w.seen - this.#seenAtStart : 0,
      end: this.#end,
    };
  }

  start(options: DrainStartOptions = {}): DrainSnapshot {
    if (this.#state === 'stopping') throw new AdminError('Conflict', 'the host is already stopping');
    const limits = this.#host.limits();
    const now = this.#now();
    if (this.#window !== null) {
      // Already draining: only the time limit may change, counted from the drain's start.
      if (options.timeLimit !== undefined) this.#window = { ...this.#window, deadline: this.#window.startedAt + options.timeLimit };
      this.#sample();
      return this.snapshot();
    }
    const sample = this.#host.activity();
    this.#window = openWindow(now, limits.idleTime, options.timeLimit ?? limits.timeLimit, sample);
    this.#seenAtStart = sample.seen;
    this.#busy = sample.busy;
    this.#state = 'draining';
    this.#host.setClosing(true);
    this.#host.events.write({
      id: EventIds.DrainStarted,
      message: `Drain started: every pool's readiness answers 503 and the host serves what still arrives; it exits once quiet for ${limits.idleTime} ms, at the latest at ${new Date(this.#window.deadline).toISOString()}.`,
      details: { idleTimeMs: this.#window.idleTime, timeLimitMs: this.#window.deadline - now, deadline: new Date(this.#window.deadline).toISOString(), busy: sample.busy },
    });
    this.#timer = setInterval(() => this.#sample(), Math.min(SAMPLE_MS, Math.max(10, this.#window.idleTime / 4)));
    this.#timer.unref();
    this.#publish();
    return this.snapshot();
  }

  cancel(): DrainSnapshot {
    if (this.#state === 'stopping') throw new AdminError('Conflict', 'the host is already stopping: a drain that has ended cannot be cancelled');
    if (this.#state === 'serving') return this.snapshot();
    const w = this.#window!;
    this.#stopTimer();
    this.#state = 'serving';
    this.#window = null;
    this.#host.setClosing(false);
    this.#host.events.write({
      id: EventIds.DrainCancelled,
      message: `Drain cancelled after ${this.#now() - w.startedAt} ms: the host is back in rotation.`,
      details: { drainedMs: this.#now() - w.startedAt, requestsSince: w.seen - this.#seenAtStart },
    });
    this.#publish();
    return this.snapshot();
  }

  /** Stops sampling (the host is stopping for another reason); no event, no finish. */
  close(): void {
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #sample(): void {
    if (this.#window === null || this.#state !== 'draining') return;
    let sample: ActivitySample;
    try {
      sample = this.#host.activity();
    } catch (err) {
      // A background loop never throws (STYLE §5): say so and sample again next time.
      this.#host.events.write({ id: EventIds.InternalError, message: `Internal error sampling the drain's activity: ${(err as Error).message}`, details: { stack: (err as Error).stack ?? null } });
      return;
    }
    this.#busy = sample.busy;
    const verdict = judgeDrain(this.#window, sample, this.#now());
    this.#window = verdict.window;
    if (verdict.kind === 'exit') {
      this.#finish(verdict.end);
      return;
    }
    this.#publish();
  }

  #finish(end: DrainEnd): void {
    const w = this.#window!;
    this.#stopTimer();
    this.#state = 'stopping';
    this.#end = end;
    const ms = this.#now() - w.startedAt;
    const why = end === 'idle' ? `quiet for ${w.idleTime} ms` : `its deadline was reached with ${this.#busy} request(s) still busy`;
    this.#host.events.write({
      id: EventIds.DrainFinished,
      message: `Drain finished after ${ms} ms (${why}): the host stops.`,
      details: { end, drainedMs: ms, requestsSince: w.seen - this.#seenAtStart, busy: this.#busy },
    });
    this.#publish();
    this.#host.finish(end);
  }

  /** Emits `status` when the one-line status changes. */
  #publish(): void {
    const text = statusLine(this.snapshot());
    if (text === this.#status) return;
    this.#status = text;
    this.emit('status', text);
  }
}

/** A drain's one-line status, as systemd's STATUS= shows it; empty while serving. */
export function statusLine(s: DrainSnapshot): string {
  if (s.state === 'serving') return '';
  if (s.state === 'stopping') return s.end === 'idle' ? 'Drained: quiet, stopping' : 'Drain deadline reached: stopping';
  const time = (iso: string | null): string => (iso === null ? '?' : iso.slice(11, 19));
  return `Draining since ${time(s.startedAt)} UTC: readiness 503 for every pool, ${s.busy} request(s) busy; exits when quiet for ${s.idleTime / 1000} s or at ${time(s.deadline)} UTC`;
}
