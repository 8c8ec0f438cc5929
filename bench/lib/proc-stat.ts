/**
 * CPU time and memory of a process, read from /proc (proc(5)). Front-door CPU per request is the
 * change in utime+stime over a run divided by the requests completed: the steadiest figure on a
 * noisy machine (anchors README).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

/** Clock ticks per second for /proc/PID/stat times (sysconf(_SC_CLK_TCK); 100 on Linux). */
export function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User and system CPU time of a process, in seconds. */
export interface CpuTimes {
  readonly user: number;
  readonly system: number;
}

/** utime and stime of `pid` in seconds (the process's own threads, not its waited-for children). */
export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5); the slice starts at field 3.
  return { user: Number(fields[11]) / clockTicks(), system: Number(fields[12]) / clockTicks() };
}

/**
 * utime and stime summed over every live process of process group `pgid`, in seconds: a front
 * door that forks its workers (nginx with a master process) is the whole group, and a child's time
 * reaches its parent's stat only once it is reaped.
 */
export function groupCpuTimes(pgid: number): CpuTimes {
  let user = 0;
  let system = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // After the last ')': state, ppid, pgrp, ... (proc(5) fields 3, 4, 5; utime and stime are 14, 15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    user += Number(fields[11]);
    system += Number(fields[12]);
  }
  return { user: user / clockTicks(), system: system / clockTicks() };
}

/** utime+stime of `pid` in seconds. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** Resident set size of `pid` in bytes (VmRSS), or null when the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
