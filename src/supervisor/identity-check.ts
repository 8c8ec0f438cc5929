/**
 * `paddock check`'s questions about identities, asked of a loaded configuration before anything
 * starts: does each pool's user and group exist (through NSS), may this host switch to it (only
 * root may), and can that identity enter the pool's cwd, run its program and read its script?
 * The host asks the same at each start of a worker (event 5021).
 */
import type { HostConfig } from '../config/types.ts';
import type { ConfigError } from '../config/config-error.ts';
import { IdentityError } from './identity.ts';
import { appAccessProblem } from './identity-access.ts';
import { PoolIdentities } from './pool-identities.ts';

/** One problem per pool whose identity is invalid or cannot reach its app, as config errors (no line). */
export function identityProblems(config: HostConfig, root = process.getuid?.() === 0): ConfigError[] {
  const table = new PoolIdentities(Object.values(config.pools), root);
  const out: ConfigError[] = [];
  for (const pool of Object.values(config.pools)) {
    const where = `pools.${pool.name}.processModel`;
    try {
      const identity = table.resolve(pool);
      const unreachable = appAccessProblem(pool, identity);
      if (unreachable !== null) {
        out.push({ path: `pools.${pool.name}`, line: null, column: null, code: 'IDENTITY_CANNOT_REACH_APP', message: `the pool's identity (${identity.type ?? 'user'} uid ${identity.uid}) cannot reach its app: ${unreachable}` });
      }
    } catch (err) {
      if (!(err instanceof IdentityError)) throw err;
      const key = pool.processModel.user !== null ? 'user' : pool.processModel.group !== null ? 'group' : 'identityType';
      out.push({ path: `${where}.${key}`, line: null, column: null, code: 'IDENTITY_INVALID', message: err.message });
    }
  }
  return out;
}
