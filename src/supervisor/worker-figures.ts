/**
 * The figures of a live worker (worker-process.ts): its cgroup's, which count the whole tree,
 * where it has one, else its process's from /proc (proc-stats.ts).
 */
import { readCpuSeconds, readPrivateBytes, readProcessStats, type ProcessStats } from './proc-stats.ts';
import type { WorkerCgroup } from './cgroups/worker-cgroup.ts';

/** CPU and memory of the worker; null when gone. */
export function workerStats(pid: number, cgroup: WorkerCgroup | null): ProcessStats | null {
  return cgroup?.stats() ?? readProcessStats(pid);
}

/** Private bytes of the worker: its cgroup's anonymous memory, or its process's smaps_rollup. */
export function workerPrivateBytes(pid: number, cgroup: WorkerCgroup | null): number | null {
  return cgroup?.privateBytes() ?? readPrivateBytes(pid);
}

/** CPU seconds of the worker (its cgroup's, or its process's). */
export function workerCpuSeconds(pid: number, cgroup: WorkerCgroup | null): number | null {
  return cgroup?.cpuSeconds() ?? readCpuSeconds(pid);
}
