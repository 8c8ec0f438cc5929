/**
 * ApplicationPoolIdentity numbers: each pool gets a uid (and the same gid) with no passwd entry,
 * from the range systemd reserves for `DynamicUser=` (61184–65519, systemd's UIDS.md), so no
 * account is ever created. The number is a hash of the pool's name into the range, stable across
 * restarts and machines; a collision with another pool or with an existing user or group moves to
 * the next free number (linear probing, pools taken in name order), the same on every start.
 */
import { createHash } from 'node:crypto';

export const DYNAMIC_UID_MIN = 61184;
export const DYNAMIC_UID_MAX = 65519;
const size = DYNAMIC_UID_MAX - DYNAMIC_UID_MIN + 1;

/** Where the probing for `name` starts. */
export function dynamicUidHome(name: string): number {
  const h = createHash('sha256').update(`paddock-pool:${name}`).digest();
  return DYNAMIC_UID_MIN + (h.readUInt32BE(0) % size);
}

/**
 * The uid of each pool in `names`; `taken(uid)` says whether a user or group already has the
 * number; `homeOf` is the hash (tests give their own to make collisions). Pure but for `taken`.
 * @example dynamicUids(['api', 'web'], (uid) => false).get('web')
 */
export function dynamicUids(names: Iterable<string>, taken: (uid: number) => boolean, homeOf: (name: string) => number = dynamicUidHome): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const name of [...new Set(names)].sort()) {
    const home = homeOf(name);
    for (let i = 0; i < size; i++) {
      const uid = DYNAMIC_UID_MIN + ((home - DYNAMIC_UID_MIN + i) % size);
      if (used.has(uid) || taken(uid)) continue;
      used.add(uid);
      out.set(name, uid);
      break;
    }
  }
  return out;
}
