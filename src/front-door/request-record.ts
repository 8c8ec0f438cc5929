/**
 * How one request ended at the front door: what the access log, /metrics and any other observer
 * read, from one place (ClientConnection's #ended), whichever way the request went.
 */

/** Who answered, or why nobody did. */
export type RequestEnding =
  /** A worker answered and its response went out whole (a tunnel that closed counts too). */
  | 'answered'
  /** The front door answered itself: a refusal (503, reset), 404, 400, 408, 502. */
  | 'frontDoor'
  /** The response was cut off: the worker's side broke after part of it reached the client. */
  | 'cutOff'
  /** The client went away before its response was complete. */
  | 'clientGone';

export interface RequestRecord {
  /** The client's address. */
  readonly client: string;
  /** `-` when the head could not be read. */
  readonly method: string;
  readonly path: string;
  /** The pool the request was routed to, or null. */
  readonly pool: string | null;
  /** The worker that answered it or last held it, or null when none did. */
  readonly worker: string | null;
  /** The status sent (or begun) to the client; 0 for none, or a connection reset. */
  readonly status: number;
  /** The HTTP.sys reason when the front door answered or failed the request itself, else null. */
  readonly reason: string | null;
  readonly ending: RequestEnding;
  /** When the request head was complete (epoch ms); for a head that never completed, when it was given up. */
  readonly startedAt: number;
}
