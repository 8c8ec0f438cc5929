/**
 * What a reload can apply to a running host and what waits for a restart, key by key, so that
 * `paddock reload` says everything: "applied: pools.web.processModel.maxProcesses, sites; waits for
 * a restart: listen, logs.maxBytes". Sockets, files and stores opened at start (bindings, TLS
 * certificates, the admin socket, dataDir, the health binding, the log files) change only when the
 * host restarts; pools, routes, the front door's timers and the drain limits change at once.
 */
import { isDeepStrictEqual } from 'node:util';
import type { HostConfig } from './types.ts';

/** Top-level sections a reload applies; any other section that changed waits for a restart. */
const APPLIED_SECTIONS: ReadonlySet<string> = new Set(['pools', 'sites', 'webLimits', 'drain']);
/** Sections that never count as a change (the file the config came from). */
const IGNORED: ReadonlySet<string> = new Set(['file']);
/** Changed keys listed per pool at most; the rest are summed up. */
const MAX_PER_POOL = 12;

export interface ReloadPlan {
  /** Keys that changed and take effect now, as dotted paths ("pools.web (added)", "webLimits.connectionTimeout"). */
  readonly applied: string[];
  /** Keys that changed and take effect only when the host restarts ("listen", "logs.maxBytes"). */
  readonly waitsForRestart: string[];
}

/** Classifies every difference between the running configuration `a` and the reloaded `b`. */
export function reloadPlan(a: HostConfig, b: HostConfig): ReloadPlan {
  const applied: string[] = [];
  const waitsForRestart: string[] = [];
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
    if (IGNORED.has(key) || isDeepStrictEqual(ra[key], rb[key])) continue;
    if (key === 'pools') applied.push(...poolChanges(a, b));
    else if (APPLIED_SECTIONS.has(key)) applied.push(...changedPaths(ra[key], rb[key], key));
    else waitsForRestart.push(...changedPaths(ra[key], rb[key], key));
  }
  return { applied, waitsForRestart };
}

function poolChanges(a: HostConfig, b: HostConfig): string[] {
  const out: string[] = [];
  for (const name of Object.keys(b.pools).sort()) {
    if (!Object.hasOwn(a.pools, name)) {
      out.push(`pools.${name} (added)`);
      continue;
    }
    const paths = changedPaths(a.pools[name], b.pools[name], `pools.${name}`);
    out.push(...paths.slice(0, MAX_PER_POOL));
    if (paths.length > MAX_PER_POOL) out.push(`pools.${name}: ${paths.length - MAX_PER_POOL} more`);
  }
  for (const name of Object.keys(a.pools).sort()) if (!Object.hasOwn(b.pools, name)) out.push(`pools.${name} (removed)`);
  return out;
}

/** Dotted paths of the leaves that differ between two values (plain objects are walked; anything else is a leaf). */
export function changedPaths(a: unknown, b: unknown, prefix: string): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (!isPlainObject(a) || !isPlainObject(b)) return [prefix];
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) out.push(...changedPaths(a[key], b[key], `${prefix}.${key}`));
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
