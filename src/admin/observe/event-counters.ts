/**
 * Counters of the host's happenings, per pool, read from the event log as events are written
 * (STYLE §6: modules talk through events): crashes (WAS 5009), hangs (5010), recycles by reason
 * (5074–5080, 5117), rapid-fail stops (5002) and CPU-limit actions (5090). A recycle that
 * `logEventOnRecycle` leaves out of the event log is not counted either.
 */
import type { PaddockEvent } from '../../events/event-log.ts';
import { EventIds } from '../../events/event-ids.ts';
import type { MarkKind } from './history.ts';

/** Recycle event numbers and the reason label each gets when the event names no trigger. */
const RECYCLE_REASONS: ReadonlyMap<number, string> = new Map([
  [EventIds.RecycleTime, 'Time'],
  [EventIds.RecycleRequests, 'Requests'],
  [EventIds.RecycleSchedule, 'Schedule'],
  [EventIds.RecycleMemory, 'Memory'],
  [EventIds.RecyclePrivateMemory, 'PrivateMemory'],
  [EventIds.RecycleUnhealthy, 'IsapiUnhealthy'],
  [EventIds.RecycleAdmin, 'OnDemand'],
  [EventIds.RecycleConfigChange, 'ConfigChange'],
]);

/** How an event is marked on the dashboard's time axis, or null when it is not. */
export function markKindOf(e: Pick<PaddockEvent, 'id' | 'worker'>): MarkKind | null {
  if (e.id === EventIds.WorkerCrashed) return 'crash';
  if (e.id === EventIds.PingMissed) return 'hang';
  if (RECYCLE_REASONS.has(e.id)) return e.worker === null ? null : 'recycle';
  if (e.id === EventIds.RapidFailStopped || e.id === EventIds.PoolStoppedByAdmin) return 'stop';
  return null;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function bump2(map: Map<string, Map<string, number>>, pool: string, key: string): void {
  let inner = map.get(pool);
  if (inner === undefined) {
    inner = new Map();
    map.set(pool, inner);
  }
  bump(inner, key);
}

/** Event-derived counters since the host started. */
export class EventCounters {
  readonly crashes = new Map<string, number>();
  readonly hangs = new Map<string, number>();
  /** pool → reason (IIS logEventOnRecycle name) → count. */
  readonly recycles = new Map<string, Map<string, number>>();
  readonly rapidFailStops = new Map<string, number>();
  /** pool → action (NoAction, KillW3wp, Throttle, ThrottleUnderLoad) → count. */
  readonly cpuLimitActions = new Map<string, Map<string, number>>();

  /** Counts one event. */
  take(e: PaddockEvent): void {
    const pool = e.pool;
    if (pool === null) return;
    if (e.id === EventIds.WorkerCrashed) bump(this.crashes, pool);
    else if (e.id === EventIds.PingMissed) bump(this.hangs, pool);
    else if (e.id === EventIds.RapidFailStopped) bump(this.rapidFailStops, pool);
    else if (e.id === EventIds.CpuLimit) bump2(this.cpuLimitActions, pool, typeof e.details.action === 'string' ? e.details.action : 'unknown');
    else if (RECYCLE_REASONS.has(e.id) && e.worker !== null) {
      // One event per worker recycled; the pool-wide one (no worker left to recycle) is not a recycle.
      bump2(this.recycles, pool, typeof e.details.trigger === 'string' ? e.details.trigger : RECYCLE_REASONS.get(e.id)!);
    }
  }
}
