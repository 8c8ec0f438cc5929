/**
 * When a worker is due for a periodic recycle (IIS `recycling.periodicRestart`): by age, by
 * memory, by requests served. Requests are checked where they end (PoolCore.released), schedules
 * by ScheduleTimer.
 * Pure: facts and time come in, a decision goes out.
 */
import type { PeriodicRestartConfig, RecycleEventName } from '../../config/types.ts';
import { EventIds } from '../../events/event-ids.ts';

/** Why a worker is recycled: IIS's logEventOnRecycle names (OnDemand = an administrator). */
export type RecycleTrigger = RecycleEventName;

const eventIds: Record<RecycleTrigger, number> = {
  Time: EventIds.RecycleTime,
  Requests: EventIds.RecycleRequests,
  Schedule: EventIds.RecycleSchedule,
  Memory: EventIds.RecycleMemory,
  PrivateMemory: EventIds.RecyclePrivateMemory,
  IsapiUnhealthy: EventIds.RecycleUnhealthy,
  OnDemand: EventIds.RecycleAdmin,
  ConfigChange: EventIds.RecycleConfigChange,
};

/** The event number written for a recycle trigger (DESIGN §6). */
export function recycleEventId(trigger: RecycleTrigger): number {
  return eventIds[trigger];
}

/**
 * A worker's share of the jitter window, stable for its id: the workers of a garden, or many
 * pools recycled by the same rule, spread out instead of recycling together.
 */
export function jitterFor(id: string, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % (jitterMs + 1);
}

export interface WorkerFacts {
  readonly id: string;
  readonly readyAt: number;
  /** Virtual memory now, or null when not sampled. */
  readonly virtualBytes: number | null;
  /** Private bytes now, or null when not sampled this time. */
  readonly privateBytes: number | null;
}

/** The periodic trigger due for a worker now, with the figure that tripped it, or null. */
export function periodicTrigger(
  pr: PeriodicRestartConfig,
  jitterMs: number,
  w: WorkerFacts,
  now: number,
): { trigger: RecycleTrigger; details: Record<string, unknown> } | null {
  if (pr.time > 0 && w.readyAt > 0) {
    const limit = pr.time + jitterFor(w.id, jitterMs);
    const age = now - w.readyAt;
    if (age >= limit) return { trigger: 'Time', details: { ageMs: age, limitMs: pr.time } };
  }
  if (pr.memory > 0 && w.virtualBytes !== null && w.virtualBytes > pr.memory) {
    return { trigger: 'Memory', details: { virtualBytes: w.virtualBytes, limitBytes: pr.memory } };
  }
  if (pr.privateMemory > 0 && w.privateBytes !== null && w.privateBytes > pr.privateMemory) {
    return { trigger: 'PrivateMemory', details: { privateBytes: w.privateBytes, limitBytes: pr.privateMemory } };
  }
  return null;
}

/** The Requests trigger: the worker has served `limit` requests (0: no limit). */
export function requestsTrigger(limit: number, requests: number): { trigger: RecycleTrigger; details: Record<string, unknown> } | null {
  return limit > 0 && requests >= limit ? { trigger: 'Requests', details: { requests, limit } } : null;
}
