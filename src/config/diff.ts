/**
 * What a configuration reload changes (DESIGN §3): new pools start, removed pools drain, changed
 * pools recycle (unless disallowRotationOnConfigChange), untouched pools are left alone. Pools are
 * compared by their whole resolved configuration, defaults included, so a change made in
 * applicationPoolDefaults recycles exactly the pools that inherit it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { HostConfig } from './types.ts';

/** Pool names by fate, each list sorted, plus whether the other top-level sections changed. */
export interface ConfigDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly unchanged: string[];
  readonly sitesChanged: boolean;
  readonly listenChanged: boolean;
  readonly adminChanged: boolean;
}

/** Compares the running configuration `a` with the reloaded `b`. */
export function diffConfig(a: HostConfig, b: HostConfig): ConfigDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const name of Object.keys(b.pools).sort()) {
    if (!Object.hasOwn(a.pools, name)) added.push(name);
    else if (isDeepStrictEqual(a.pools[name], b.pools[name])) unchanged.push(name);
    else changed.push(name);
  }
  for (const name of Object.keys(a.pools).sort()) {
    if (!Object.hasOwn(b.pools, name)) removed.push(name);
  }
  return {
    added,
    removed,
    changed,
    unchanged,
    sitesChanged: !isDeepStrictEqual(a.sites, b.sites),
    listenChanged: !isDeepStrictEqual(a.listen, b.listen),
    adminChanged: !isDeepStrictEqual(a.admin, b.admin),
  };
}
