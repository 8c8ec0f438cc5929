/**
 * The OS side of a worker (worker-process.ts): its process spawned in a process group of its own,
 * signals to that group, its socket file, and its output pipes once it has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import type { SpawnSpec, WorkerAddress } from './spawn-spec.ts';

/** Spawns the worker's process, the control channel on fd 3; throws as spawn() does. */
export function spawnChild(spec: SpawnSpec): ChildProcess {
  return spawn(spec.file, spec.args as string[], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: [spec.stdin ?? 'ignore', 'pipe', 'pipe', 'pipe'],
    detached: true, // own process group: a stop reaches the worker's children too
  });
}

/** Removes the worker's socket file, if it listens on one and the file is there. */
export function removeSocketFile(address: WorkerAddress): void {
  if (!('path' in address)) return;
  try {
    unlinkSync(address.path);
  } catch {
    // none there: never made, or removed already
  }
}

/** Signals the process group `pid` leads, or the child alone where that fails; never throws. */
export function signalGroup(pid: number, child: ChildProcess | null, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      child?.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * A child that holds the worker's stdout or stderr (a daemon without a cgroup to end it) must not
 * keep the host from exiting: the pipes close a moment after the exit, once the last lines are read.
 */
export function releaseOutput(child: ChildProcess): void {
  const timer = setTimeout(() => {
    child.stdout?.destroy();
    child.stderr?.destroy();
  }, 500);
  timer.unref();
}

/** EMFILE/ENFILE: the host (not the worker) has no descriptor left. */
export function outOfFiles(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}
