/**
 * A front-door thread's view of one worker: what the supervisor told it (address, state, health,
 * the exit), and what the shared table counts (requests in flight over every thread). It is the
 * worker side of the thread's leases: a request begins and ends here, counted in the table, and
 * the leases it holds are kept in grant order for the thread's request sweep.
 */
import type { LeaseWorker } from '../pools/lease.ts';
import type { WorkerFacts } from '../dispatch/messages.ts';
import { WorkerSlotState, type SharedTable } from '../dispatch/shared-table.ts';
import type { WorkerAddress } from '../supervisor/worker-port.ts';
import type { ConnectionsVerdict, ExitFacts, RequestEnd, RequestInHand } from '../supervisor/worker-process.ts';
import type { WorkerHealth, WorkerState } from '../supervisor/worker-state.ts';

/** What a mirror tells its thread. */
export interface MirrorHost {
  readonly table: SharedTable;
  readonly thread: number;
  readonly now: () => number;
  /** The worker's last request left while the supervisor drains it: it may stop now. */
  idle(slot: number): void;
  /** A request was abandoned by a broken connection (kept for the crash report). */
  abandoned(slot: number, label: string, request: RequestInHand): void;
}

export class WorkerMirror implements LeaseWorker {
  readonly slot: number;
  readonly id: string;
  readonly poolName: string;
  pool: { diagnostics: { includeQueryStrings: boolean } };
  #address: WorkerAddress;
  #state: WorkerState;
  #health: WorkerHealth;
  #hung: boolean;
  readonly probePending: boolean;
  #exitFacts: ExitFacts | null = null;
  readonly exited: Promise<ExitFacts>;
  #resolveExited!: (facts: ExitFacts) => void;
  readonly #watchers: Array<(verdict: ConnectionsVerdict) => void> = [];
  readonly #host: MirrorHost;
  #closedHeld: string[] = [];
  /** The thread's requests on this worker, in grant order. */
  readonly held = new Set<RequestInHand & { readonly tunnel: boolean }>();

  constructor(facts: WorkerFacts, address: WorkerAddress, host: MirrorHost, includeQueryStrings: boolean, fastcgi: boolean) {
    this.slot = facts.slot;
    this.id = facts.id;
    this.poolName = facts.pool;
    this.#address = address;
    this.#state = facts.state;
    this.#health = facts.health;
    this.#hung = facts.hung;
    this.#host = host;
    this.pool = { diagnostics: { includeQueryStrings } };
    // A php-cgi serves one connection at a time and a probe of the supervisor's waits behind a kept
    // one; a thread cannot see a probe begin, so it keeps no connection to a FastCGI worker.
    this.probePending = fastcgi;
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  get address(): WorkerAddress {
    return this.#address;
  }
  /**
   * The supervisor's last word on it. Whether it takes a request is the table's word (the gate
   * reads that); this one moves with the exit, so a retry that sees a worker gone also sees how.
   */
  get state(): WorkerState {
    return this.#state;
  }
  get health(): WorkerHealth {
    return this.#health;
  }
  get hung(): boolean {
    return this.#hung;
  }
  get exitFacts(): ExitFacts | null {
    return this.#exitFacts;
  }
  get inFlight(): number {
    return this.#host.table.inFlight(this.slot);
  }
  get tunnels(): number {
    return this.#host.table.tunnels(this.slot);
  }

  /** The supervisor's news of the worker. */
  update(facts: WorkerFacts, address: WorkerAddress | null): void {
    this.#state = facts.state;
    this.#health = facts.health;
    this.#hung = facts.hung;
    if (address !== null) this.#address = address;
  }

  watchConnections(fn: (verdict: ConnectionsVerdict) => void): void {
    this.#watchers.push(fn);
  }
  tellConnections(verdict: ConnectionsVerdict): void {
    // What it held as its connections close (a missed ping): the hang report lists them.
    if (verdict === 'all' && this.held.size > 0) this.#closedHeld = [...this.held].map((r) => r.label);
    for (const fn of this.#watchers) fn(verdict);
  }

  /** The requests held now, or those held when its connections were all closed. */
  heldLabels(): string[] {
    return this.held.size > 0 ? [...this.held].map((r) => r.label) : this.#closedHeld;
  }

  /** The worker exited: its connections close, and retries waiting for the verdict go on. */
  exit(facts: ExitFacts): void {
    if (this.#exitFacts !== null) return;
    this.#exitFacts = facts;
    this.#state = 'stopped';
    this.tellConnections('all');
    this.#resolveExited(facts);
  }

  // ---- LeaseWorker (the table was counted when the gate claimed the worker) ------------------

  beginRequest(request: RequestInHand): void {
    this.held.add(request as RequestInHand & { tunnel: boolean });
  }

  beginTunnel(request: RequestInHand): void {
    if (this.held.has(request as RequestInHand & { tunnel: boolean })) this.#host.table.tunnelBegan(this.slot, this.#host.thread);
  }

  endRequest(request: RequestInHand, end: RequestEnd): void {
    const r = request as RequestInHand & { tunnel: boolean };
    if (!this.held.delete(r)) return;
    const busy = this.#host.table.release(this.slot, this.#host.thread, r.tunnel, this.#host.now());
    if (end === 'abandoned') this.#host.abandoned(this.slot, request.label, request);
    if (busy <= 0 && this.#host.table.workerState(this.slot) === WorkerSlotState.closed && this.#exitFacts === null) this.#host.idle(this.slot);
  }
}
