/**
 * The words and figures of the events a pool writes about one worker's life: ready, crashed,
 * stopped, hung, out of time, a broken channel. Pure, so the shell only decides when to write them
 * (pool.ts), and what each says is in one place.
 */
import { EventIds } from '../events/event-ids.ts';
import type { ExitFacts, WorkerProcess } from '../supervisor/worker-process.ts';
import { oomWords, type OomFacts } from '../supervisor/cgroups/oom-words.ts';
import { poisonText } from './request-events.ts';

export interface WorkerEvent {
  readonly id: number;
  readonly message: string;
  readonly details: Record<string, unknown>;
  readonly level?: 'info' | 'warning' | 'error';
}

export function readyEvent(w: WorkerProcess): WorkerEvent {
  return { id: EventIds.WorkerReady, message: `Worker ${w.id} is ready (pid ${w.pid}).`, details: { startupMs: w.readyAt - w.createdAt } };
}

export function spawnFailedEvent(w: WorkerProcess, err: Error): WorkerEvent {
  return { id: EventIds.WorkerCrashed, message: `Worker ${w.id} could not be started: ${err.message}`, level: 'error', details: { error: err.message } };
}

export function startupTimeoutEvent(w: WorkerProcess, limitMs: number): WorkerEvent {
  return {
    id: EventIds.StartupTimeLimit,
    message: `Worker ${w.id} (pid ${w.pid}) did not become ready within the startup time limit of ${limitMs} ms and was killed.`,
    details: { startupTimeLimitMs: limitMs },
  };
}

export function shutdownTimeoutEvent(w: WorkerProcess, limitMs: number): WorkerEvent {
  return {
    id: EventIds.ShutdownTimeLimit,
    message: `Worker ${w.id} (pid ${w.pid}) did not stop within the shutdown time limit of ${limitMs} ms and was killed.`,
    details: { shutdownTimeLimitMs: limitMs },
  };
}

export function channelBrokenEvent(w: WorkerProcess): WorkerEvent {
  return {
    id: EventIds.ChannelBroken,
    message: `Worker ${w.id} (pid ${w.pid}) closed its control channel while still running: a fatal communication error. It will be recycled.`,
    details: {},
  };
}

export function pingMissedEvent(w: WorkerProcess, ms: number): WorkerEvent {
  return {
    id: EventIds.PingMissed,
    message: `Worker ${w.id} (pid ${w.pid}) did not answer a ping within ${ms} ms: it is considered hung.`,
    details: { pingResponseTimeMs: ms, inFlight: w.inFlight },
  };
}

/** 5009: the exit nobody asked for, in words (an OOM kill says so), with the requests it held. */
export function crashedEvent(w: WorkerProcess, facts: ExitFacts, poison: readonly string[]): WorkerEvent {
  const how = facts.oom ? `signal ${facts.signal}: ${oomWords(facts.oom)}` : facts.signal !== null ? `signal ${facts.signal}` : `exit code ${facts.code}`;
  return {
    id: EventIds.WorkerCrashed,
    message: `Worker ${w.id} (pid ${w.pid}) terminated unexpectedly with ${how}.${poison.length > 0 ? ` ${poisonText(poison)}.` : ''}`,
    details: {
      exitCode: facts.code,
      signal: facts.signal,
      oom: facts.oom ? { ...facts.oom, words: oomWords(facts.oom) } : null,
      uptimeMs: facts.uptimeMs,
      state: facts.stateBefore,
      requests: w.requests,
      // The requests the worker held when it died (method and path): their connections broke
      // a moment before the exit was seen, so they are listed from both places.
      requestsInHand: [...w.requestsInHand(), ...w.requestsAbandoned],
      poisonRequests: poison,
    },
  };
}

/** 6003: an exit the host asked for. */
export function stoppedEvent(w: WorkerProcess, facts: ExitFacts): WorkerEvent {
  return {
    id: EventIds.WorkerStopped,
    message: `Worker ${w.id} (pid ${w.pid}) stopped${w.stopReason ? ` (${w.stopReason})` : ''}.`,
    details: { exitCode: facts.code, signal: facts.signal, uptimeMs: facts.uptimeMs, reason: w.stopReason },
  };
}

/** 5186: idle past idleTimeout, suspended (Suspend) or shut down (Terminate). */
export function idleEvent(w: WorkerProcess, idleTimeoutMs: number, action: 'Suspend' | 'Terminate', idleMs: number): WorkerEvent {
  return {
    id: EventIds.IdleShutdown,
    message: `Worker ${w.id} (pid ${w.pid}) was ${action === 'Suspend' ? 'suspended' : 'shut down'} after ${idleTimeoutMs} ms without a request.`,
    details: { idleTimeoutMs, action, idleMs },
  };
}

/** 5093: the replacement of an overlapping recycle did not become ready; the old worker stays. */
export function replacementFailedEvent(old: WorkerProcess, replacement: WorkerProcess): WorkerEvent {
  const facts = replacement.exitFacts;
  return {
    id: EventIds.OverlappedRecycleFailed,
    message: `The replacement for worker ${old.id} did not become ready; the old worker keeps serving.`,
    details: { replacement: replacement.id, exitCode: facts?.code ?? null, signal: facts?.signal ?? null },
  };
}

/** 7103: the OOM killer ended a process of the worker's tree (a child), and the worker runs on. */
export function childOomEvent(w: WorkerProcess, facts: OomFacts): WorkerEvent {
  return {
    id: EventIds.ChildOomKilled,
    message: `The kernel's OOM killer ended ${facts.kills === 1 ? 'a process' : `${facts.kills} processes`} of worker ${w.id}'s tree ${oomWords(facts).replace(/^killed by the kernel's OOM killer /, '')}. The worker process itself (pid ${w.pid}) runs on.`,
    details: { ...facts, words: oomWords(facts) },
  };
}

/** 6001: the worker's process runs. */
export function startedEvent(w: WorkerProcess, command: readonly string[], replacementFor: WorkerProcess | null): WorkerEvent {
  return { id: EventIds.WorkerStarted, message: `Worker ${w.id} started with pid ${w.pid}.`, details: { command, replacementFor: replacementFor?.id ?? null } };
}

/**
 * The worker could not be given its address (socket or port). Out of descriptors it is the host's
 * failure, not the pool's (7172, not counted toward rapid-fail); otherwise a failed start (5009).
 */
export function addressFailedEvent(w: WorkerProcess, err: NodeJS.ErrnoException, hostFault: boolean): WorkerEvent {
  return hostFault
    ? { id: EventIds.OpenFilesExhausted, message: `Worker ${w.id} could not be given an address: the host has no file descriptor left (${err.message}); not counted against the pool.`, level: 'warning', details: { code: err.code } }
    : { id: EventIds.WorkerCrashed, message: `Worker ${w.id} could not be given an address: ${err.message}`, level: 'error', details: {} };
}
