/**
 * The front door in `frontDoor.threads` threads (front-door-thread.ts), seen from the supervisor:
 * the same surface as the one-thread FrontDoor (listen, reconfigure, close, quiesce). Each thread
 * listens on every binding with SO_REUSEPORT, so the kernel spreads new connections over them; the
 * first binds port 0 bindings and the others follow it on the port it got. What the threads report
 * goes to the pools (through the shared table's dispatch), the access log and the event hooks. A
 * thread that fails is replaced with a thread of the same column, told what the others know; its
 * own connections closed with it, the others' never noticed.
 */
import { Worker } from 'node:worker_threads';
import type { Binding, SiteConfig, TlsConfig } from '../config/types.ts';
import type { FromThread, ThreadStart, ToThread } from '../dispatch/messages.ts';
import type { ThreadDispatch } from '../dispatch/thread-dispatch.ts';
import { matchInheritedSockets, type InheritedSocket } from '../service/listen-fds.ts';
import type { AccessLog } from './access-log.ts';
import type { FrontDoorContext } from './front-door-context.ts';
import type { OutOfFilesBurst } from './open-files.ts';

/** Threads that run out of descriptors within this long of each other are in the same burst. */
const outOfFilesMergeMs = 2_000;

const entry = new URL(`./front-door-thread${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url);

export interface ThreadsOptions {
  readonly dispatch: ThreadDispatch;
  readonly sites: readonly SiteConfig[];
  readonly limits: FrontDoorContext['limits'];
  readonly accessLog: AccessLog;
  readonly accessFormat: 'w3c' | 'json' | 'off';
  readonly includeQueryStrings: boolean;
}

/** One front-door thread's load, for /metrics and the dashboard. */
export interface ThreadLoad {
  readonly thread: number;
  readonly connections: number;
  readonly requests: number;
  readonly inFlight: number;
  /** Times this thread's column was given a new thread after a failure. */
  readonly restarts: number;
}

interface Slot {
  worker: Worker;
  restarts: number;
  /** Resolvers for what the thread says next. */
  readonly waiting: Map<FromThread['t'], Array<(m: FromThread) => void>>;
  stopping: boolean;
}

export class FrontDoorThreads {
  readonly #o: ThreadsOptions;
  readonly #slots: Slot[] = [];
  #sites: readonly SiteConfig[];
  #limits: FrontDoorContext['limits'];
  #draining = false;
  /** What the threads listen on, once the first has bound (ports resolved). */
  #listen: Extract<ToThread, { t: 'listen' }> | null = null;
  #closing = false;
  readonly #count: number;
  #outOfFilesAt = -Infinity;
  onInternalError: ((err: Error) => void) | null = null;
  onOutOfFiles: ((burst: OutOfFilesBurst) => void) | null = null;
  /** A thread failed and a new one took its column (event 7181). */
  onThreadFailed: ((thread: number, err: Error | null, code: number) => void) | null = null;

  constructor(count: number, options: ThreadsOptions) {
    this.#o = options;
    this.#sites = options.sites;
    this.#limits = options.limits;
    this.#count = count;
    options.dispatch.broadcast = (m) => this.#broadcast(m);
    // The access log's flush (tests, shutdown) takes what the threads hold first.
    options.accessLog.upstream = () => this.#flushLogs();
  }

  async #flushLogs(): Promise<void> {
    if (this.#closing) return;
    await Promise.all(this.#slots.map((s) => {
      const a = this.#next(s, 'logFlushed');
      s.worker.postMessage({ t: 'flushLog' } satisfies ToThread);
      return a;
    }));
  }

  get threads(): number {
    return this.#count;
  }

  #startData(thread: number): ThreadStart {
    const d = this.#o.dispatch;
    return {
      thread,
      table: d.table.memory,
      sites: this.#sites,
      limits: this.#limits,
      pools: d.poolEntries(),
      accessFormat: this.#o.accessFormat,
      includeQueryStrings: this.#o.includeQueryStrings,
      workers: d.liveWorkers(),
      draining: this.#draining,
    };
  }

  #spawn(thread: number, restarts: number): Slot {
    const worker = new Worker(entry, { workerData: this.#startData(thread), name: `front-door-${thread}` });
    const slot: Slot = { worker, restarts, waiting: new Map(), stopping: false };
    let failure: Error | null = null;
    worker.on('message', (m: FromThread) => this.#onMessage(slot, thread, m));
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => {
      if (slot.stopping || this.#closing) return;
      // Its connections closed with it, and what it counted on workers with them.
      this.#o.dispatch.threadGone(thread);
      this.onThreadFailed?.(thread, failure, code);
      const next = this.#spawn(thread, slot.restarts + 1);
      this.#slots[thread] = next;
      if (this.#listen !== null) next.worker.postMessage(this.#listen);
    });
    return slot;
  }

  #onMessage(slot: Slot, thread: number, m: FromThread): void {
    const waiters = slot.waiting.get(m.t);
    if (waiters !== undefined && waiters.length > 0) {
      waiters.shift()!(m);
      return;
    }
    switch (m.t) {
      case 'log':
        this.#o.accessLog.appendFormatted(m.chunks, m.figures);
        return;
      case 'internalError': {
        const err = new Error(m.message);
        err.stack = m.stack ?? undefined;
        this.onInternalError?.(err);
        return;
      }
      case 'outOfFiles': {
        // The threads run out together: one burst is told once, by the first thread that meets it.
        const now = Date.now();
        if (now - this.#outOfFilesAt > outOfFilesMergeMs) this.onOutOfFiles?.(m.burst as OutOfFilesBurst);
        this.#outOfFilesAt = now;
        return;
      }
      case 'listening':
      case 'listenFailed':
      case 'closed':
      case 'quiesced':
      case 'logFlushed':
        return; // a replacement's answer nobody waits for
      default:
        this.#o.dispatch.report(m, thread);
    }
  }

  #next<T extends FromThread['t']>(slot: Slot, ...kinds: T[]): Promise<Extract<FromThread, { t: T }>> {
    return new Promise((resolve) => {
      // A thread that exits answers nothing: do not wait for it.
      const exited = (): void => resolve({ t: 'closed' } as Extract<FromThread, { t: T }>);
      const once = (m: FromThread): void => {
        slot.worker.off('exit', exited);
        for (const k of kinds) {
          const list = slot.waiting.get(k);
          if (list !== undefined) {
            const at = list.indexOf(once);
            if (at !== -1) list.splice(at, 1);
          }
        }
        resolve(m as Extract<FromThread, { t: T }>);
      };
      for (const k of kinds) {
        const list = slot.waiting.get(k) ?? [];
        list.push(once);
        slot.waiting.set(k, list);
      }
      slot.worker.once('exit', exited);
    });
  }

  #broadcast(m: ToThread): void {
    for (const s of this.#slots) s.worker.postMessage(m);
  }

  /**
   * Listens on every binding in every thread; rejects with the binding that failed. The first
   * thread binds first, so a port 0 binding gets one port, which the others then share.
   */
  async listen(bindings: readonly Binding[], tls: TlsConfig | null = null, inherited: readonly InheritedSocket[] = []): Promise<Array<{ host: string; port: number; tls: boolean }>> {
    // The threads start now, when the supervisor has made its pools: they start knowing them.
    for (let t = 0; t < this.#count; t++) this.#slots.push(this.#spawn(t, 0));
    const first = this.#slots[0];
    const answer = this.#next(first, 'listening', 'listenFailed');
    first.worker.postMessage({ t: 'listen', bindings, tls, inherited } satisfies ToThread);
    const r = await answer;
    if (r.t === 'listenFailed') throw new Error(r.message);
    if (r.t !== 'listening') throw new Error('the first front-door thread exited before it listened');
    const bound = r.bound;
    // The others bind what the first bound: the same addresses, its ports for port 0. A socket
    // systemd passed is one descriptor, which the first thread serves (a thread that closed it would
    // close it for all); the others listen on the bindings it does not cover.
    const { forBinding } = matchInheritedSockets(inherited, bindings);
    const resolved = bindings
      .map((b, i) => (b.port === 0 && bound[i] !== undefined ? { ...b, port: bound[i].port } : b))
      .filter((_b, i) => !forBinding.has(i));
    this.#listen = { t: 'listen', bindings: resolved, tls, inherited: [] };
    const rest = await Promise.all(this.#slots.slice(1).map((s) => {
      const a = this.#next(s, 'listening', 'listenFailed');
      s.worker.postMessage(this.#listen);
      return a;
    }));
    for (const x of rest) if (x.t === 'listenFailed') throw new Error(x.message);
    return [...bound];
  }

  /** Replaces the routes and timers (config reload), and tells the threads the pools as they are now. */
  reconfigure(sites: readonly SiteConfig[], limits: FrontDoorContext['limits']): void {
    this.#sites = sites;
    this.#limits = limits;
    this.#broadcast({ t: 'config', sites, limits, pools: this.#o.dispatch.poolEntries() });
  }

  /** Stops accepting; resolves when every thread's listeners have closed (after its connections ended). */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((s) => {
      const a = this.#next(s, 'closed');
      s.worker.postMessage({ t: 'close' } satisfies ToThread);
      return a;
    }));
    await Promise.all(this.#slots.map((s) => {
      s.stopping = true;
      return s.worker.terminate();
    }));
  }

  /** Host stop, after close(): every connection serves the request it carries, then closes. */
  async quiesce(graceMs: number): Promise<void> {
    await Promise.all(this.#slots.map((s) => {
      const a = this.#next(s, 'quiesced');
      s.worker.postMessage({ t: 'quiesce', graceMs } satisfies ToThread);
      return a;
    }));
  }

  destroyConnections(): void {
    this.#broadcast({ t: 'destroy' });
  }

  /** `paddock drain`: every answer closes its keep-alive connection. */
  setDraining(on: boolean): void {
    this.#draining = on;
    this.#broadcast({ t: 'draining', on });
  }

  /** Client connections open, over every thread. */
  connectionCount(): number {
    let n = 0;
    for (let t = 0; t < this.#slots.length; t++) n += this.#o.dispatch.table.threadLoad(t).connections;
    return n;
  }

  /** Each thread's load. */
  loads(): ThreadLoad[] {
    const table = this.#o.dispatch.table;
    return this.#slots.map((s, t) => ({ thread: t, ...table.threadLoad(t), inFlight: table.threadInFlight(t), restarts: s.restarts }));
  }

  /** The thread of column `thread` (tests: make it fail). */
  threadOf(thread: number): Worker {
    return this.#slots[thread].worker;
  }
}
