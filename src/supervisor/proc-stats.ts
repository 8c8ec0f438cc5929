/**
 * Figures of a process from /proc: CPU time and memory. `status` is cheap and read often;
 * `smaps_rollup` (private bytes) walks every mapping and costs milliseconds, so it is read rarely.
 */
import { readFileSync } from 'node:fs';

// USER_HZ is 100 on every Linux architecture the host runs on (sysconf(_SC_CLK_TCK)).
const clockTicksPerSecond = 100;

export interface ProcessStats {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly virtualBytes: number;
}

/** CPU seconds (user + system) of a process, or null when it is gone. */
export function readCpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicksPerSecond;
}

/** Reads VmRSS and VmSize from /proc/PID/status (kB) and the CPU time; null when gone. */
export function readProcessStats(pid: number): ProcessStats | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null;
  }
  const cpuSeconds = readCpuSeconds(pid);
  if (cpuSeconds === null) return null;
  return { cpuSeconds, rssBytes: kbField(text, 'VmRSS:'), virtualBytes: kbField(text, 'VmSize:') };
}

/** The process runs (it exists and is not a zombie waiting to be reaped). */
export function isRunning(pid: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  const state = text.charAt(text.lastIndexOf(')') + 2);
  return state !== 'Z' && state !== 'X';
}

/** Private bytes (Private_Clean + Private_Dirty) from smaps_rollup; null when unreadable. */
export function readPrivateBytes(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  } catch {
    return null;
  }
  return kbField(text, 'Private_Clean:') + kbField(text, 'Private_Dirty:');
}

function kbField(text: string, name: string): number {
  const at = text.indexOf(name);
  if (at === -1) return 0;
  const end = text.indexOf('\n', at);
  const value = parseInt(text.slice(at + name.length, end === -1 ? undefined : end).trim(), 10);
  return Number.isFinite(value) ? value * 1024 : 0;
}
