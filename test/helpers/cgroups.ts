/**
 * Test helpers for cgroups: where a process is, whether it is frozen, and whether this machine
 * gives the host cgroups at all (a test skips with the reason only where it truly does not).
 */
import { readFileSync } from 'node:fs';
import { HostCgroups } from '../../src/supervisor/cgroups/host-cgroups.ts';

/** Why cgroup scenarios cannot run here, or false when they can. */
export const cgroupSkip: string | false = (() => {
  const probe = HostCgroups.setUp({ dataDir: '/nonexistent/paddock-cgroup-probe' });
  const r = probe.report;
  void probe.close();
  return r.enabled ? false : `this machine gives the host no cgroups: ${r.reason}`;
})();

/** A process's cgroup per hierarchy ("memory" → path; "" for v2), or null when it is gone. */
export function cgroupsOf(pid: number): Map<string, string> | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return null;
  }
  const out = new Map<string, string>();
  for (const line of text.trim().split('\n')) {
    const [, controllers, path] = line.split(':');
    for (const c of controllers.split(',')) out.set(c.replace(/^name=/, ''), path);
  }
  return out;
}

/** Whether the process is stopped: SIGSTOP (state T) or a frozen cgroup (v1 freezer, v2 cgroup.freeze). */
export function isFrozen(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T') return true;
  const groups = cgroupsOf(pid);
  const freezer = groups?.get('freezer');
  if (freezer !== undefined && freezer !== '/') return read(`/sys/fs/cgroup/freezer${freezer}/freezer.state`) === 'FROZEN';
  const unified = groups?.get('');
  if (unified !== undefined) return /^frozen 1$/m.test(read(`/sys/fs/cgroup${unified}/cgroup.events`));
  return false;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
