/**
 * A worker's start sequence, once the pool's checks cleared it (start-checks.ts): its address (a
 * unix socket or a port: worker-address.ts), for FastCGI the listening socket it is handed as fd 0,
 * its cgroup, the spawn spec, the spawn, and its output. It runs in the background after the pool
 * holds the worker: one that exited meanwhile is not spawned, and an address that cannot be made
 * ends the start.
 */
import type { PoolConfig } from '../config/types.ts';
import type { WorkerProcess } from '../supervisor/worker-process.ts';
import { buildSpawnSpec } from '../supervisor/spawn-spec.ts';
import { withPortAlias } from '../supervisor/worker-port.ts';
import { openListenSocket, type ListenSocket } from '../fastcgi/listen-socket.ts';
import { allocateAddress } from './worker-address.ts';
import type { StartCleared } from './start-checks.ts';
import type { PoolCgroup } from './pool-cgroup.ts';
import type { WorkerOutput } from './worker-output.ts';
import { addressFailedEvent, startedEvent, type WorkerEvent } from './worker-events.ts';

/** What the start sequence needs of its pool. */
export interface WorkerStartHost {
  /** Directory for worker unix sockets. */
  readonly runDir: string;
  readonly cgroup: PoolCgroup;
  readonly output: WorkerOutput;
  /** The diagnostics' hooks for a worker's Node options and environment (PoolDiagnostics). */
  readonly diagnostics: {
    nodeOptions(pool: PoolConfig): readonly string[];
    extraEnv(pool: PoolConfig, workerId: string): Readonly<Record<string, string>>;
  };
  workerEvent(worker: WorkerProcess, e: WorkerEvent): void;
}

/** Starts `worker` (made and wired by the pool) as `cleared` says; returns at once, the start goes on in the background. */
export function startSequence(worker: WorkerProcess, config: PoolConfig, cleared: StartCleared, replacementFor: WorkerProcess | null, host: WorkerStartHost): void {
  const { identity } = cleared;
  const id = worker.id;
  let listener: ListenSocket | null = null;
  void allocateAddress(config, host.runDir, id, identity).then((a) => withPortAlias(config, a)).then(async (address) => {
    // A FastCGI worker is handed its listening socket as fd 0 (src/fastcgi/listen-socket.ts).
    if (config.protocol === 'fastcgi') listener = await openListenSocket(address);
    return address;
  }).then(
    (address) => {
      worker.setAddress(address);
      if (worker.exitFacts !== null) {
        listener?.close();
        return;
      }
      const cgroup = host.cgroup.worker(id);
      if (cgroup !== null) worker.useCgroup(cgroup);
      const spec = buildSpawnSpec({
        pool: config,
        workerId: id,
        address,
        identity,
        nodeOptions: config.runtime === 'node' ? host.diagnostics.nodeOptions(config) : [],
        extraEnv: host.diagnostics.extraEnv(config, id),
        baseEnv: process.env,
        stdin: listener?.fd,
        program: cleared.program ?? undefined,
        cgroupProcs: cgroup?.procsFiles,
      });
      worker.start(spec);
      listener?.close();
      host.output.attach(worker, config.protocol === 'fastcgi');
      if (worker.pid !== null) host.workerEvent(worker, startedEvent(worker, config.command, replacementFor));
    },
    (err: NodeJS.ErrnoException) => {
      // Out of descriptors, the host could not make the worker's socket: the host's failure,
      // not the pool's (not counted toward rapid-fail).
      listener?.close();
      const hostFault = err.code === 'EMFILE' || err.code === 'ENFILE';
      host.workerEvent(worker, addressFailedEvent(worker, err, hostFault));
      worker.abandonStart(hostFault);
    },
  );
}
