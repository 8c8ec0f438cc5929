/**
 * The requests a worker holds (worker-process.ts): counted, kept in the order they were granted,
 * and the ones abandoned by a broken connection kept for the crash report.
 */

/** A request this worker holds, as the crash report names it ("GET /path"), read only when needed. */
export interface RequestInHand {
  readonly label: string;
}

/** How a request left the worker: answered (or given up by its client), abandoned by a broken connection, or a tunnel that closed. */
export type RequestEnd = 'ended' | 'abandoned' | 'tunnelEnded';

/** Abandoned requests kept for the crash report, newest last. */
const abandonedKept = 20;

/**
 * What a worker knows of the requests it holds. RequestsInHand keeps them itself (the front door on
 * the host's thread); with front-door threads the counts are the shared table's
 * (pools/shared-requests.ts) and the requests themselves stay in the threads.
 */
export interface HeldRequests {
  readonly requests: number;
  readonly inFlight: number;
  readonly tunnels: number;
  readonly inHand: ReadonlySet<RequestInHand>;
  readonly abandoned: readonly string[];
  readonly busy: number;
  /** The last request granted or ended, when the counts are kept elsewhere (epoch ms); 0 = not known here. */
  readonly lastActivityAt: number;
  begin(request: RequestInHand): void;
  beginTunnel(request: RequestInHand): void;
  end(request: RequestInHand, end: RequestEnd): boolean;
}

/** Keeps at most `abandonedKept` labels, newest last. */
export function keepAbandoned(list: string[], label: string): void {
  list.push(label);
  if (list.length > abandonedKept) list.shift();
}

/** A worker's requests in hand and its counts of them. */
export class RequestsInHand implements HeldRequests {
  readonly lastActivityAt = 0;
  #requests = 0;
  #inFlight = 0;
  #tunnels = 0;
  readonly #inHand = new Set<RequestInHand>();
  readonly #abandoned: string[] = [];

  /** Requests granted since the worker started. */
  get requests(): number {
    return this.#requests;
  }
  /** Requests held now, tunnels included. */
  get inFlight(): number {
    return this.#inFlight;
  }
  /** Upgraded connections (WebSocket tunnels) among inFlight. */
  get tunnels(): number {
    return this.#tunnels;
  }
  /** The requests held now, in the order they were granted. */
  get inHand(): ReadonlySet<RequestInHand> {
    return this.#inHand;
  }
  /** Requests abandoned when their connections broke, newest last (at most 20). */
  get abandoned(): readonly string[] {
    return this.#abandoned;
  }
  /** Requests held now that a drain waits for (tunnels excepted). */
  get busy(): number {
    return this.#inFlight - this.#tunnels;
  }

  /** A request was granted. */
  begin(request: RequestInHand): void {
    this.#inFlight++;
    this.#requests++;
    this.#inHand.add(request);
  }

  /** The request became a tunnel (101 Switching Protocols). */
  beginTunnel(request: RequestInHand): void {
    if (this.#inHand.has(request)) this.#tunnels++;
  }

  /** A request left; false when it was not held. An abandoned one is kept for the crash report. */
  end(request: RequestInHand, end: RequestEnd): boolean {
    if (!this.#inHand.delete(request)) return false;
    if (end === 'abandoned') keepAbandoned(this.#abandoned, request.label);
    if (end === 'tunnelEnded') this.#tunnels--;
    this.#inFlight--;
    return true;
  }
}
