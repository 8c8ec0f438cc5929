/**
 * Where a pool's workers' output goes: each worker's stdout and stderr into the pool's output log
 * (events/output-log.ts), and for a FastCGI worker the FCGI_STDERR records of its requests beside
 * its own stderr (the front door reads those records and hands them over here).
 */
import { PassThrough } from 'node:stream';
import type { PoolOutputLog } from '../events/output-log.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';

export class WorkerOutput {
  readonly #log: PoolOutputLog;
  readonly #fastcgiStderr = new Map<string, PassThrough>();

  constructor(log: PoolOutputLog) {
    this.#log = log;
  }

  /** A worker just started: its pipes (and, for FastCGI, its requests' stderr) go to the log. */
  attach(worker: WorkerProcess, fastcgi: boolean): void {
    if (fastcgi) this.#attachFastCgiStderr(worker);
    if (worker.child?.stdout) this.#log.attach(worker.id, 'stdout', worker.child.stdout);
    if (worker.child?.stderr) this.#log.attach(worker.id, 'stderr', worker.child.stderr);
  }

  /** What a FastCGI worker's request wrote to FCGI_STDERR. */
  applicationStderr(workerId: string, data: Buffer): void {
    this.#fastcgiStderr.get(workerId)?.write(data);
  }

  #attachFastCgiStderr(worker: WorkerProcess): void {
    const stream = new PassThrough();
    this.#log.attach(worker.id, 'stderr', stream);
    this.#fastcgiStderr.set(worker.id, stream);
    void worker.exited.then(() => {
      this.#fastcgiStderr.delete(worker.id);
      stream.end();
    });
  }
}
