/**
 * Pool identities (IIS `processModel.userName`): the worker runs as this user and group. A name
 * that does not exist stops the pool (event 5021), as IIS does when an identity is invalid.
 */
import { readFileSync } from 'node:fs';
import { PaddockError } from '../paddock-error.ts';

export interface Identity {
  readonly user: string | null;
  readonly uid: number | null;
  readonly group: string | null;
  readonly gid: number | null;
}

export class IdentityError extends PaddockError<'PADDOCK_IDENTITY_INVALID'> {
  constructor(message: string) {
    super('PADDOCK_IDENTITY_INVALID', message, { step: "resolve the pool's identity" });
  }
}

function lookup(file: string, name: string): string[] | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name || (/^\d+$/.test(name) && fields[2] === name)) return fields;
  }
  return null;
}

/** Resolves a pool's user and group from /etc/passwd and /etc/group, or throws IdentityError. */
export function resolveIdentity(user: string | null, group: string | null): Identity {
  if (user === null && group === null) return { user: null, uid: null, group: null, gid: null };
  let uid: number | null = null;
  let gid: number | null = null;
  if (user !== null) {
    const pw = lookup('/etc/passwd', user);
    if (pw === null) throw new IdentityError(`user '${user}' does not exist`);
    uid = Number(pw[2]);
    gid = Number(pw[3]);
  }
  if (group !== null) {
    const gr = lookup('/etc/group', group);
    if (gr === null) throw new IdentityError(`group '${group}' does not exist`);
    gid = Number(gr[2]);
  }
  return { user, uid, group, gid };
}
