/**
 * Which worker takes a request, and when a pool starts one more (DESIGN §5, IIS on-demand start).
 * Pure: worker facts come in, a choice goes out; the pool acts on it.
 */
import type { StartMode } from '../../config/types.ts';
import type { WorkerHealth, WorkerState } from '../../supervisor/worker-state.ts';
import { hasRoom } from './request-limits.ts';

/** What dispatch reads of a worker. */
export interface DispatchFacts {
  readonly state: WorkerState;
  readonly health: WorkerHealth;
  readonly hung: boolean;
  readonly inFlight: number;
  /** Tunnels (WebSocket) among inFlight: they do not count toward a concurrency limit. */
  readonly tunnels?: number;
}

/**
 * Least outstanding requests among ready workers, healthy ones first (DESIGN §5). A suspended
 * worker counts as ready: it is thawed for the request. A hung one takes nothing while it is
 * captured and killed; `exclude` is the worker a retry must not go back to; a worker holding
 * `limit` requests (maxConcurrentRequestsPerWorker, 0 = unlimited) takes no more. Ties go to the first.
 */
export function pickWorker<W extends DispatchFacts>(workers: readonly W[], exclude: object | null, limit = 0): W | null {
  let best: W | null = null;
  for (const w of workers) {
    if ((w.state !== 'ready' && w.state !== 'suspended') || w === exclude || w.hung) continue;
    if (!hasRoom(w.inFlight, w.tunnels ?? 0, limit)) continue;
    if (best === null) {
      best = w;
      continue;
    }
    const wh = w.health === 'healthy' ? 0 : 1;
    const bh = best.health === 'healthy' ? 0 : 1;
    if (wh < bh || (wh === bh && w.inFlight < best.inFlight)) best = w;
  }
  return best;
}

/**
 * The requests one worker of a pool takes at a time (0 = no limit): one for FastCGI (php-cgi
 * serves one at a time; IIS FastCGI: one request per process), else maxConcurrentRequestsPerWorker.
 */
export function requestsPerWorker(protocol: 'http' | 'fastcgi', maxConcurrent: number): number {
  return protocol === 'fastcgi' ? 1 : maxConcurrent;
}

/**
 * Whether a worker counts toward maxProcesses: a live one not being replaced. With
 * disallowOverlappingRotation (`strict`), one being replaced holds its slot until it has exited, so
 * the new worker never runs beside the old one.
 */
export function countsTowardMax(state: WorkerState, replaced: boolean, strict: boolean): boolean {
  if (state === 'starting' || state === 'ready' || state === 'suspended') return !replaced || strict;
  return state === 'draining' && replaced && strict;
}

/** Whether waiting requests start one more worker: none is starting and the pool is below maxProcesses (a garden grows one at a time). */
export function demandStart(active: readonly { readonly state: WorkerState }[], maxProcesses: number): boolean {
  return active.length < maxProcesses && !active.some((w) => w.state === 'starting');
}

/**
 * Whether a pool whose worker just hung starts a replacement at once, not on the next request:
 * below maxProcesses, and AlwaysRunning, or requests wait, or no other worker is ready.
 */
export function replaceAtOnce(active: readonly { readonly state: WorkerState }[], maxProcesses: number, startMode: StartMode, queued: number): boolean {
  if (active.length >= maxProcesses) return false;
  return startMode === 'AlwaysRunning' || queued > 0 || active.every((w) => w.state !== 'ready');
}

/** Crash-loop back-off: after `failures` starts in a row that died before ready, wait 100 ms doubling to 5 s. */
export function startBackoffMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(5_000, 100 * 2 ** (failures - 1));
}
