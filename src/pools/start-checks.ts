/**
 * What must hold before a pool starts a worker: an identity that resolves, a command that is
 * installed, and an app that identity can reach. A worker started without them would only exit at
 * once, again and again, into rapid-fail; instead the pool stops with an event that names the
 * problem (5021 for the identity, IIS's number; 7240 for the command), and the other pools go on.
 */
import type { PoolConfig } from '../config/types.ts';
import { EventIds } from '../events/event-ids.ts';
import type { PoolStopReason } from './pool-state.ts';
import { IdentityError, type Identity } from '../supervisor/identity.ts';
import { appAccess } from '../supervisor/identity-access.ts';
import { findProgram } from '../supervisor/find-program.ts';
import { workerArgv } from '../supervisor/worker-argv.ts';

/** A worker may start: as `identity`, running `program` (the file its identity runs; null: the command's own name). */
export interface StartCleared {
  readonly ok: true;
  readonly identity: Identity;
  readonly program: string | null;
}

/** No worker can start: the event to write, and why the pool stops. */
export interface StartRefused {
  readonly ok: false;
  readonly event: number;
  readonly message: string;
  readonly level?: 'error';
  readonly details: Record<string, unknown>;
  readonly stopReason: Extract<PoolStopReason, 'identity' | 'config'>;
}

/** Checks `config` before a start; `identityOf` resolves the pool's identity (throws IdentityError). */
export function checkStart(config: PoolConfig, identityOf: (pool: PoolConfig) => Identity): StartCleared | StartRefused {
  const name = config.name;
  let identity: Identity;
  try {
    identity = identityOf(config);
  } catch (err) {
    if (!(err instanceof IdentityError)) throw err;
    const pm = config.processModel;
    return {
      ok: false,
      event: EventIds.IdentityInvalid,
      message: `Application pool '${name}' has an invalid identity: ${err.message}. The pool was stopped.`,
      details: { user: pm.user, group: pm.group, identityType: pm.identityType },
      stopReason: 'identity',
    };
  }
  const program = workerArgv(config, '')[0] ?? '';
  const path = config.env.PATH ?? process.env.PATH;
  if (findProgram(program, path, config.cwd) === null) {
    return {
      ok: false,
      event: EventIds.CommandNotFound,
      message: `Application pool '${name}' cannot start a worker: its command '${program}' is not installed or not on PATH. The pool was stopped; the other pools go on.`,
      level: 'error',
      details: { command: config.command, program, path: path ?? null },
      stopReason: 'config',
    };
  }
  const access = appAccess(config, identity);
  if (access.problem !== null) {
    return {
      ok: false,
      event: EventIds.IdentityInvalid,
      message: `Application pool '${name}' runs as an identity that cannot reach its app: ${access.problem}. The pool was stopped.`,
      details: { identityType: identity.type ?? null, uid: identity.uid, gid: identity.gid, reason: access.problem },
      stopReason: 'identity',
    };
  }
  return { ok: true, identity, program: access.program };
}
