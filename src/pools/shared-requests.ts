/**
 * A worker's requests as the supervisor sees them with front-door threads: the counts are the
 * shared table's (every thread's), the requests themselves stay in the threads, and the labels of
 * those a broken connection abandoned arrive from the threads for the crash report.
 */
import type { SharedTable } from '../dispatch/shared-table.ts';
import { keepAbandoned, type HeldRequests, type RequestInHand } from '../supervisor/worker-requests.ts';


export class SharedRequests implements HeldRequests {
  readonly #table: SharedTable;
  /** The worker's slot; -1 until it has one. */
  slot = -1;
  readonly #abandoned: string[] = [];
  /** What the threads said they held, asked for a hang report; kept until the report is taken. */
  #snapshot: Set<RequestInHand> = new Set();
  /** Labels of the snapshot abandoned since it was taken. */
  #gone: string[] = [];

  constructor(table: SharedTable) {
    this.#table = table;
  }

  get requests(): number {
    return this.slot < 0 ? 0 : this.#table.requests(this.slot);
  }
  get inFlight(): number {
    return this.slot < 0 ? 0 : this.#table.inFlight(this.slot);
  }
  get tunnels(): number {
    return this.slot < 0 ? 0 : this.#table.tunnels(this.slot);
  }
  get busy(): number {
    return this.inFlight - this.tunnels;
  }
  get lastActivityAt(): number {
    return this.slot < 0 ? 0 : this.#table.lastActivity(this.slot);
  }
  /** The requests are in the threads: what they said when last asked (for a hang report), else none. */
  get inHand(): ReadonlySet<RequestInHand> {
    return this.#snapshot;
  }

  /** The threads' answer to "which requests do you hold?" */
  snapshot(labels: readonly string[]): void {
    this.#snapshot = new Set(labels.map((label) => ({ label })));
    this.#gone = [];
  }

  /** The report is taken: what the snapshot held that was abandoned since counts as abandoned. */
  endSnapshot(): void {
    for (const label of this.#gone) keepAbandoned(this.#abandoned, label);
    this.#snapshot = new Set();
    this.#gone = [];
  }
  get abandoned(): readonly string[] {
    return this.#abandoned;
  }
  /** A thread's request was abandoned by a broken connection. */
  abandon(label: string): void {
    for (const r of this.#snapshot) {
      if (r.label !== label) continue;
      // Listed as in hand until the report that asked is taken (no request twice).
      this.#gone.push(label);
      return;
    }
    keepAbandoned(this.#abandoned, label);
  }
  // The threads count begin and end in the table.
  begin(): void {}
  beginTunnel(): void {}
  end(): boolean {
    return false;
  }
}
