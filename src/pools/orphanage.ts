/**
 * Orphaned workers (IIS orphanWorkerProcess / orphanActionExe): a hung worker released from the
 * pool and left running so a person or a debugger can look at it, with the operator's action run
 * on its pid. Orphans hold memory and CPU, as the IIS docs warn, so a pool keeps only a few: the
 * oldest beyond the limit is killed, and all of them go when the host stops.
 */
import type { PoolConfig } from '../config/types.ts';
import { EventIds } from '../events/event-ids.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import { runAction } from '../supervisor/run-action.ts';

type EventWriter = (id: number, message: string, extra: { worker?: WorkerProcess; details?: Record<string, unknown>; level?: 'warning' }) => void;

/** The orphans of one pool. */
export class Orphanage {
  readonly orphans: WorkerProcess[] = [];
  readonly #event: EventWriter;

  constructor(event: EventWriter) {
    this.#event = event;
  }

  /** Releases `worker` (already out of the pool's list), runs orphanAction, kills the oldest `killOldest` orphans. */
  adopt(worker: WorkerProcess, config: PoolConfig, killOldest: number): void {
    worker.orphan();
    this.orphans.push(worker);
    worker.once('exit', () => {
      const i = this.orphans.indexOf(worker);
      if (i !== -1) this.orphans.splice(i, 1);
    });
    const action = config.failure.orphanAction;
    const pid = worker.pid ?? 0;
    const report = (result: { code: number | null; output: string; error: string | null } | null): void => {
      this.#event(EventIds.WorkerOrphaned, `Worker ${worker.id} (pid ${pid}) was orphaned: it was left running for debugging and replaced.`, {
        worker,
        level: 'warning',
        details: { action: action ?? null, actionExitCode: result?.code ?? null, actionOutput: result?.output ?? null, actionError: result?.error ?? null },
      });
    };
    if (action) void runAction(action.map((a) => a.replaceAll('{pid}', String(pid))), config.cwd, config.failure.orphanActionTimeLimit).then(report);
    else report(null);
    const max = config.failure.maxOrphanedProcesses;
    for (let i = 0; i < killOldest && this.orphans.length > 0; i++) {
      const oldest = this.orphans.shift()!;
      this.#event(EventIds.OrphanKilled, `Orphaned worker ${oldest.id} (pid ${oldest.pid}) was killed: the pool keeps at most ${max} orphaned processes.`, {
        worker: oldest,
        level: 'warning',
        details: { maxOrphanedProcesses: max },
      });
      oldest.kill();
    }
  }

  /** Kills every orphan and waits for them to exit (host stop). */
  async killAll(): Promise<void> {
    const all = [...this.orphans];
    for (const o of all) o.kill();
    await Promise.all(all.map((o) => o.exited));
  }
}
