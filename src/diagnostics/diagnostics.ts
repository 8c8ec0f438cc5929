/**
 * Crash and hang diagnostics for the pools (DESIGN §1 DIAGNOSTICS). This is the seam the pools
 * call; the capture itself lives in the modules beside this file.
 */
import type { PoolConfig } from '../config/types.ts';
import type { PoolDiagnostics } from '../pools/pool.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import type { ExitFacts } from '../supervisor/worker-process.ts';
import type { EventLog } from '../events/event-log.ts';

export interface DiagnosticsOptions {
  readonly dataDir: string;
  readonly events: EventLog;
}

/** Diagnostics of every pool of one host. */
export class Diagnostics implements PoolDiagnostics {
  readonly #options: DiagnosticsOptions;

  constructor(options: DiagnosticsOptions) {
    this.#options = options;
  }

  get dataDir(): string {
    return this.#options.dataDir;
  }

  nodeOptions(_pool: PoolConfig): readonly string[] {
    return [];
  }

  extraEnv(_pool: PoolConfig, _workerId: string): Readonly<Record<string, string>> {
    return {};
  }

  onCrash(_worker: WorkerProcess, _facts: ExitFacts, _crashEventSeq: number): void {}

  async captureHang(_worker: WorkerProcess): Promise<void> {}
}
