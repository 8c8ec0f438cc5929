/**
 * The host's table of pool identities: the ApplicationPoolIdentity number of every pool that has
 * one (dynamic-uid.ts), made from the whole set of pools so that probing is the same on every
 * start, and remade on reload.
 */
import type { PoolConfig } from '../config/types.ts';
import { dynamicUids } from './dynamic-uid.ts';
import { identityTypeOf, nssEntry, resolvePoolIdentity, type Identity } from './identity.ts';

/** Whether a user or group already has `id` (through NSS). */
function idTaken(id: number): boolean {
  return nssEntry('passwd', String(id)) !== null || nssEntry('group', String(id)) !== null;
}

/** Pool name → identity, for the pools of one configuration. */
export class PoolIdentities {
  #uids = new Map<string, number>();
  readonly #root: boolean;

  constructor(pools: Iterable<PoolConfig>, root = process.getuid?.() === 0) {
    this.#root = root;
    this.update(pools);
  }

  /** Remakes the table for a new set of pools (reload). */
  update(pools: Iterable<PoolConfig>): void {
    const names = [...pools].filter((p) => identityTypeOf(p.processModel, this.#root) === 'ApplicationPoolIdentity').map((p) => p.name);
    this.#uids = dynamicUids(names, idTaken);
  }

  /** The ApplicationPoolIdentity uid of `pool`, or null when it has none. */
  uidOf(pool: string): number | null {
    return this.#uids.get(pool) ?? null;
  }

  /** The identity `pool` runs as; throws IdentityError when it is invalid. */
  resolve(pool: PoolConfig): Identity {
    return resolvePoolIdentity(pool.processModel, this.#uids.get(pool.name) ?? null, this.#root);
  }
}
