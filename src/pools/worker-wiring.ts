/**
 * How the pool shell listens to its workers: each event a WorkerProcess emits is written to the
 * event log (worker-events.ts) and handed to the pool's core; a missed ping goes to the pool's hang
 * handling. A listener that throws, or an async one that rejects, would otherwise take the whole
 * host down with every pool: it is logged (7010) and the host goes on.
 */
import type { PoolConfig } from '../config/types.ts';
import { EventIds } from '../events/event-ids.ts';
import type { ExitFacts, WorkerProcess } from '../supervisor/worker-process.ts';
import type { PoolCore } from './pool-core.ts';
import type { Lease } from './lease.ts';
import type { RequestEvents } from './request-events.ts';
import type { RecycleTrigger } from './policy/recycle-policy.ts';
import { channelBrokenEvent, crashedEvent, pingMissedEvent, readyEvent, shutdownTimeoutEvent, spawnFailedEvent, startupTimeoutEvent, stoppedEvent, type WorkerEvent } from './worker-events.ts';

/** What the listeners need of their pool. */
export interface WorkerWiringHost {
  readonly config: PoolConfig;
  readonly core: PoolCore<WorkerProcess, Lease>;
  readonly requestEvents: RequestEvents;
  /** Writes a pool event; returns its sequence number. */
  event(id: number, message: string, extra: { worker?: WorkerProcess; details?: Record<string, unknown> }): number;
  workerEvent(worker: WorkerProcess, e: WorkerEvent): number;
  /** The diagnostics' crash hook (PoolDiagnostics.onCrash): runs in the background. */
  readonly diagnostics: { onCrash(worker: WorkerProcess, facts: ExitFacts, crashEventSeq: number, poison?: readonly string[]): void };
  /** A missed ping, its event written: capture, then kill or orphan. */
  onPingMissed(worker: WorkerProcess): Promise<void>;
  recycleWorker(worker: WorkerProcess, trigger: RecycleTrigger, details: Record<string, unknown>, options?: { event?: boolean }): void;
  /**
   * With front-door threads: resolves once the threads have let go of an exited worker's requests
   * and said which broke with it (they are in the crash event and report); null otherwise.
   */
  readonly settle: ((worker: WorkerProcess) => Promise<void>) | null;
}

/** Listens to a worker's event; a throw or a rejection is logged (7010), never thrown. */
function on<A extends unknown[]>(host: WorkerWiringHost, worker: WorkerProcess, event: string, fn: (...args: A) => unknown): void {
  const report = (err: unknown): void => {
    host.event(EventIds.InternalError, `Internal error handling '${event}' of worker ${worker.id}: ${(err as Error)?.message ?? err}`, {
      worker,
      details: { event, stack: (err as Error)?.stack ?? null },
    });
  };
  worker.on(event, (...args: unknown[]) => {
    try {
      const r = fn(...(args as A));
      if (r instanceof Promise) r.catch(report);
    } catch (err) {
      report(err);
    }
  });
}

/** Listens to every event of `worker` that the pool writes or its core decides on. */
export function wireWorker(worker: WorkerProcess, host: WorkerWiringHost): void {
  const write = (e: WorkerEvent): number => host.workerEvent(worker, e);
  on(host, worker, 'ready', () => {
    write(readyEvent(worker));
    host.core.ready(worker);
  });
  on(host, worker, 'spawnError', (err: Error) => write(spawnFailedEvent(worker, err)));
  on(host, worker, 'startupTimeout', () => {
    write(startupTimeoutEvent(worker, host.config.processModel.startupTimeLimit));
    worker.expectExit('startupTimeLimit');
    worker.kill();
    host.core.failure('startupTimeLimit');
  });
  on(host, worker, 'shutdownTimeout', (limit: number) => {
    write(shutdownTimeoutEvent(worker, limit));
    host.core.failure('shutdownTimeLimit');
  });
  on(host, worker, 'pingMissed', (ms: number) => {
    write(pingMissedEvent(worker, ms));
    return host.onPingMissed(worker);
  });
  on(host, worker, 'unhealthy', (reason: string, message: Record<string, unknown>) => {
    const { type: _t, ...figures } = message;
    host.core.reportedUnhealthy(worker, reason, figures);
  });
  on(host, worker, 'channelBroken', () => {
    write(channelBrokenEvent(worker));
    host.core.failure('channelBroken');
    host.recycleWorker(worker, 'IsapiUnhealthy', { reason: 'control channel closed' }, { event: false });
  });
  on(host, worker, 'exit', async (facts: ExitFacts) => {
    if (!facts.expected && host.settle !== null) await host.settle(worker);
    // A missed ping already named (and did not count) its poison requests.
    const poison = facts.expected ? [] : host.requestEvents.poisonOn(worker);
    if (!facts.expected) {
      const seq = write(crashedEvent(worker, facts, poison));
      if (poison.length > 0) host.requestEvents.poison(worker, poison);
      host.diagnostics.onCrash(worker, facts, seq, poison);
    } else if (facts.stateBefore !== 'orphaned') {
      write(stoppedEvent(worker, facts));
    }
    host.core.exited(worker, facts, poison.length > 0);
  });
}
