/**
 * The host's table of pool identities: the ApplicationPoolIdentity number of every pool that has
 * one (dynamic-uid.ts), made from the whole set of pools so that probing is the same on every
 * start, and remade on reload.
 */
import type { PoolConfig } from '../config/types.ts';
import { dynamicUids } from './dynamic-uid.ts';
import { identityTypeOf, nssIds, resolvePoolIdentity, type Identity } from './identity.ts';

/** Pool name → identity, for the pools of one configuration. */
export class PoolIdentities {
  #uids = new Map<string, number>();
  /** Identities resolved since the last update, by pool name with the keys they came from: a start looks up no user again. */
  #resolved = new Map<string, { readonly key: string; readonly identity: Identity }>();
  readonly #root: boolean;

  constructor(pools: Iterable<PoolConfig>, root = process.getuid?.() === 0) {
    this.#root = root;
    this.update(pools);
  }

  /** Remakes the table for a new set of pools (reload). */
  update(pools: Iterable<PoolConfig>): void {
    const names = [...pools].filter((p) => identityTypeOf(p.processModel, this.#root) === 'ApplicationPoolIdentity').map((p) => p.name);
    this.#resolved = new Map();
    if (names.length === 0) {
      this.#uids = new Map();
      return;
    }
    // Every user and group once (two processes), not two lookups per pool: a thousand pools start as fast as one.
    const users = nssIds('passwd');
    const groups = nssIds('group');
    this.#uids = dynamicUids(names, (id) => users.has(id) || groups.has(id));
  }

  /** The ApplicationPoolIdentity uid of `pool`, or null when it has none. */
  uidOf(pool: string): number | null {
    return this.#uids.get(pool) ?? null;
  }

  /** The identity `pool` runs as; throws IdentityError when it is invalid. */
  resolve(pool: PoolConfig): Identity {
    const pm = pool.processModel;
    const key = `${pm.identityType ?? ''}:${pm.user ?? ''}:${pm.group ?? ''}`;
    const known = this.#resolved.get(pool.name);
    if (known !== undefined && known.key === key) return known.identity;
    // A failure is not kept: a user created after it is found at the pool's next start.
    const identity = resolvePoolIdentity(pm, this.#uids.get(pool.name) ?? null, this.#root);
    this.#resolved.set(pool.name, { key, identity });
    return identity;
  }
}
