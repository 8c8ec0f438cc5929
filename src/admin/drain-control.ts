/**
 * What the admin API sees of a host's drain (`paddock drain`, `POST /api/drain`): a snapshot and
 * two commands. The host implements it (host-drain.ts); the routes and the tests use it.
 */

/** `serving`: in rotation; `draining`: readiness 503, still serving; `stopping`: the host is exiting. */
export type DrainState = 'serving' | 'draining' | 'stopping';

/** Why a drain ended in the host's exit. */
export type DrainEnd = 'idle' | 'deadline';

/** A drain as `GET /api/drain` shows it. Times are ISO strings; figures are of the whole host. */
export interface DrainSnapshot {
  readonly state: DrainState;
  /** When the drain began; null while serving. */
  readonly startedAt: string | null;
  /** The latest the host exits (startedAt + timeLimit); null while serving. */
  readonly deadline: string | null;
  /** The host exits once nothing has been in flight or arrived for this long (ms). */
  readonly idleTime: number;
  /** ms from the start to the deadline. */
  readonly timeLimit: number;
  /** Requests in flight or queued now, in every pool. */
  readonly busy: number;
  /** When a request was last seen in flight or arriving; null while serving. */
  readonly lastActivityAt: string | null;
  /** Requests that arrived since the drain began. */
  readonly requestsSince: number;
  /** Set once the host is stopping: why. */
  readonly end: DrainEnd | null;
}

export interface DrainStartOptions {
  /** Overrides `drain.timeLimit` for this drain (ms). */
  readonly timeLimit?: number;
}

/** The commands. Both throw AdminError Conflict once the host is stopping. */
export interface DrainControl {
  snapshot(): DrainSnapshot;
  /** Takes the host out of rotation; a second call may change the time limit. */
  start(options?: DrainStartOptions): DrainSnapshot;
  /** Puts the host back in rotation; a host that is not draining stays as it is. */
  cancel(): DrainSnapshot;
  /** Whether readiness must answer 503 for every pool. */
  readonly draining: boolean;
}
