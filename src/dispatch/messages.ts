/**
 * The messages between the supervisor (the host's main thread) and its front-door threads. None
 * is on a request's path: the supervisor tells the threads what changed in its pools and workers
 * (configuration, a worker ready, draining or gone), and a thread tells the supervisor what only
 * the supervisor may act on (start a worker, thaw one, recycle one, write an event, a batch of
 * access-log lines). Workers are named by their slot in the shared table.
 */
import type { PoolConfig, SiteConfig, Binding, TlsConfig } from '../config/types.ts';
import type { InheritedSocket } from '../service/listen-fds.ts';
import type { WorkerAddress } from '../supervisor/worker-port.ts';
import type { ConnectionsVerdict, ExitFacts } from '../supervisor/worker-process.ts';
import type { WorkerHealth, WorkerState } from '../supervisor/worker-state.ts';
import type { TableMemory, SharedRefusalReason } from './shared-table.ts';

/** The webLimits timers a front door reads, in ms. */
export interface DoorLimits {
  readonly connectionTimeout: number;
  readonly headerWaitTimeout: number;
  readonly entityBodyTimeout?: number;
}

/** What a front-door thread is started with (workerData). */
export interface ThreadStart {
  /** The thread's column in the shared table (0-based). */
  readonly thread: number;
  readonly table: TableMemory;
  readonly sites: readonly SiteConfig[];
  readonly limits: DoorLimits;
  readonly pools: readonly PoolEntry[];
  /** The access log's format, formatted in the thread (the supervisor writes the lines). */
  readonly accessFormat: 'w3c' | 'json' | 'off';
  readonly includeQueryStrings: boolean;
  /** The workers alive when the thread starts (a thread that replaces one that failed). */
  readonly workers: readonly WorkerFacts[];
  readonly draining: boolean;
}

/** A pool and its column in the shared table. */
export interface PoolEntry {
  readonly name: string;
  readonly index: number;
  readonly config: PoolConfig;
}

/** What a thread knows of a worker. */
export interface WorkerFacts {
  readonly slot: number;
  readonly id: string;
  readonly pool: string;
  readonly address: WorkerAddress | null;
  readonly state: WorkerState;
  readonly health: WorkerHealth;
  readonly hung: boolean;
}

/** Supervisor → thread. */
export type ToThread =
  | { readonly t: 'listen'; readonly bindings: readonly Binding[]; readonly tls: TlsConfig | null; readonly inherited: readonly InheritedSocket[] }
  | { readonly t: 'config'; readonly sites: readonly SiteConfig[]; readonly limits: DoorLimits; readonly pools: readonly PoolEntry[] }
  | { readonly t: 'worker'; readonly worker: WorkerFacts }
  | { readonly t: 'connections'; readonly slot: number; readonly verdict: ConnectionsVerdict }
  | { readonly t: 'exit'; readonly slot: number; readonly facts: ExitFacts }
  | { readonly t: 'refuseQueued'; readonly pool: string; readonly refusal: { readonly reason: SharedRefusalReason; readonly reset: boolean } }
  | { readonly t: 'draining'; readonly on: boolean }
  | { readonly t: 'close' }
  | { readonly t: 'flushLog' }
  /** Which requests does the thread hold on this worker (for a hang report)? */
  | { readonly t: 'reportHeld'; readonly slot: number }
  | { readonly t: 'quiesce'; readonly graceMs: number }
  | { readonly t: 'destroy' };

/** The figures of one finished request, for /metrics and the history. */
export interface RequestFigures {
  readonly pool: string | null;
  readonly status: number;
  readonly queueMs: number;
  readonly ttfbMs: number;
  readonly totalMs: number;
}

/** Thread → supervisor. */
export type FromThread =
  | { readonly t: 'listening'; readonly bound: ReadonlyArray<{ host: string; port: number; tls: boolean }> }
  | { readonly t: 'listenFailed'; readonly message: string }
  | { readonly t: 'demand'; readonly pool: string }
  | { readonly t: 'thaw'; readonly slot: number }
  | { readonly t: 'requestLimit'; readonly slot: number }
  | { readonly t: 'idle'; readonly slot: number }
  | { readonly t: 'abandoned'; readonly slot: number; readonly label: string; readonly poison: boolean }
  | { readonly t: 'timedOut'; readonly slot: number; readonly labels: readonly string[]; readonly limitMs: number }
  | { readonly t: 'queueTimedOut'; readonly pool: string; readonly count: number; readonly limitMs: number }
  | { readonly t: 'blocked'; readonly slot: number; readonly labels: readonly string[] }
  /** The requests the thread holds on the worker, or held when its connections were closed. */
  | { readonly t: 'held'; readonly slot: number; readonly labels: readonly string[] }
  | { readonly t: 'log'; readonly chunks: readonly Uint8Array[]; readonly figures: readonly RequestFigures[] }
  | { readonly t: 'stderr'; readonly pool: string; readonly worker: string; readonly data: Uint8Array }
  | { readonly t: 'internalError'; readonly message: string; readonly stack: string | null }
  | { readonly t: 'outOfFiles'; readonly burst: unknown }
  | { readonly t: 'closed' }
  | { readonly t: 'quiesced' }
  | { readonly t: 'logFlushed' };
