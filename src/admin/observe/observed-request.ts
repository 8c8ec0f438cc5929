/**
 * What the figures need of one finished request. The front door's RequestRecord has these fields
 * and more; this side names only what it reads, so the admin folder does not import the front
 * door's (the two meet in the supervisor, which hands one to the other).
 */

/** One finished request, as counted. Timings in ms; -1 = did not happen. */
export interface ObservedRequest {
  /** The pool routed to; null when no app matched. */
  readonly pool: string | null;
  /** The status sent; 0 when nothing was sent. */
  readonly status: number;
  readonly queueMs: number;
  readonly ttfbMs: number;
  readonly totalMs: number;
}

/** Where batches of finished requests come from (the access log). */
export interface RequestSource {
  /** Calls `fn` with every batch from now on; returns the unsubscribe function. */
  onBatch(fn: (batch: readonly ObservedRequest[]) => void): () => void;
}
