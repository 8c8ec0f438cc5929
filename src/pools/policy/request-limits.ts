/**
 * The limits on one request's life inside a pool: how long it may wait in the queue (HTTP.sys's
 * RequestQueue timer, `queueTimeout`), how long its worker may take to start answering (IIS
 * FastCGI's `requestTimeout`), when requests a worker holds are stuck enough to make the worker
 * unhealthy (IIS ASP's blocked-requests health signal), when a request is the cause of its
 * workers' deaths (a poison request), and when a worker that calls itself unhealthy is sick from
 * its start. Pure: facts and `now` in, a verdict out; the pool core sweeps with them on its tick,
 * one pass per pool rather than a timer per request.
 */

/** What the sweep reads of a request a worker holds (a lease). */
export interface HeldRequest {
  /** When the pool granted it a worker (the pool's clock). */
  readonly grantedAt: number;
  /** The worker sent a response head (a 1xx counts): it is answering, not stuck. */
  readonly responseStarted: boolean;
  /** It became a tunnel (101): a long life is its nature. */
  readonly tunnel: boolean;
  /** "GET /path", for events and reports. */
  readonly label: string;
}

/** Whether a request waiting since `queuedAt` has waited too long; `limitMs` 0 = no limit. */
export function queueWaitExpired(queuedAt: number, limitMs: number, now: number): boolean {
  return limitMs > 0 && now - queuedAt >= limitMs;
}

/** Whether a held request has had no response head for `limitMs` (0 = no limit): answered 504. */
export function responseOverdue(r: HeldRequest, limitMs: number, now: number): boolean {
  return limitMs > 0 && !r.responseStarted && !r.tunnel && now - r.grantedAt >= limitMs;
}

/**
 * The requests of one worker that have waited `timeMs` each without a response head, when there
 * are at least `limit` of them (the worker is then unhealthy); null otherwise, or when `limit` is 0.
 * `held` is in grant order (oldest first), so the scan stops at the first request too young.
 */
export function blockedRequests<R extends HeldRequest>(held: Iterable<R>, limit: number, timeMs: number, now: number): R[] | null {
  if (limit <= 0) return null;
  const blocked: R[] = [];
  for (const r of held) {
    if (now - r.grantedAt < timeMs) break;
    if (!r.responseStarted && !r.tunnel) blocked.push(r);
  }
  return blocked.length >= limit ? blocked : null;
}

/**
 * A request in hand at this many worker deaths is a poison request: it is the cause, not a victim.
 * The first death earns it one retry (a crash nobody chose, DESIGN §5); the second ends it.
 */
export const poisonDeaths = 2;

/** Whether a request that was in hand at `deathsBefore` earlier deaths makes a poison request of this one. */
export function isPoison(deathsBefore: number): boolean {
  return deathsBefore + 1 >= poisonDeaths;
}

/**
 * Whether a worker's own `unhealthy` report counts as a failure toward rapid-fail: it came within
 * `startupTimeLimit` of the worker becoming ready, so the worker is sick from its start and would
 * otherwise be recycled forever without the pool ever stopping.
 */
export function unhealthyAtStart(readyAt: number, startupTimeLimitMs: number, now: number): boolean {
  return readyAt > 0 && now - readyAt < startupTimeLimitMs;
}

/** Whether a worker holding `inFlight` requests (tunnels apart) may take one more; `limit` 0 = unlimited. */
export function hasRoom(inFlight: number, tunnels: number, limit: number): boolean {
  return limit <= 0 || inFlight - tunnels < limit;
}
