/**
 * Pool identities (IIS `processModel.identityType`, docs/identity.md). A worker runs as one of:
 * - ApplicationPoolIdentity: a uid and gid of the pool's own with no passwd entry (see
 *   dynamic-uid.ts), no supplementary groups and no_new_privs; the default when the host is root.
 * - SpecificUser: `processModel.user` (and its groups), looked up through NSS.
 * - HostIdentity: the host's own user; the default when the host is not root.
 * A user or group that does not exist stops the pool (event 5021), as IIS does when an identity is invalid.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ProcessModelConfig } from '../config/types.ts';
import { PaddockError } from '../paddock-error.ts';

export type IdentityType = 'ApplicationPoolIdentity' | 'SpecificUser' | 'HostIdentity';

export interface Identity {
  /** Absent in identities built by hand (tests): HostIdentity when uid and gid are null, else SpecificUser. */
  readonly type?: IdentityType;
  readonly user: string | null;
  /** The uid switched to, or null (the host's own). */
  readonly uid: number | null;
  readonly group: string | null;
  /** The gid switched to, or null (the host's own). */
  readonly gid: number | null;
}

export class IdentityError extends PaddockError<'PADDOCK_IDENTITY_INVALID'> {
  constructor(message: string) {
    super('PADDOCK_IDENTITY_INVALID', message, { step: "resolve the pool's identity" });
  }
}

/** Whether the host runs as root (and so may switch users). */
export function hostIsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The identity type a pool runs as: its own setting, else SpecificUser with a user, else by the host. */
export function identityTypeOf(pm: Pick<ProcessModelConfig, 'identityType' | 'user'>, root = hostIsRoot()): IdentityType {
  if (pm.identityType !== null && pm.identityType !== undefined) return pm.identityType;
  if (pm.user !== null) return 'SpecificUser';
  return root ? 'ApplicationPoolIdentity' : 'HostIdentity';
}

let getentMissing = false;

/**
 * One entry of an NSS database (`getent passwd NAME`), so LDAP, sssd and systemd's own users are
 * found as well as /etc/passwd; the files are read only where getent is not installed.
 */
export function nssEntry(db: 'passwd' | 'group', key: string): string[] | null {
  if (!getentMissing) {
    try {
      const out = execFileSync('getent', [db, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
      const line = out.split('\n')[0];
      return line ? line.split(':') : null;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { status?: number };
      if (e.code !== 'ENOENT') return null; // status 2: no such key
      getentMissing = true;
    }
  }
  return fileEntry(`/etc/${db}`, key);
}

/**
 * The ids (third field) of every entry an NSS database enumerates (`getent passwd`, one process for
 * the lot), or of its file where getent is not installed.
 */
export function nssIds(db: 'passwd' | 'group'): Set<number> {
  let text: string | null = null;
  if (!getentMissing) {
    try {
      text = execFileSync('getent', [db], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000, maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') getentMissing = true;
    }
  }
  if (text === null) {
    try {
      text = readFileSync(`/etc/${db}`, 'utf8');
    } catch {
      text = '';
    }
  }
  const ids = new Set<number>();
  for (const line of text.split('\n')) {
    const id = Number(line.split(':')[2]);
    if (line !== '' && Number.isInteger(id)) ids.add(id);
  }
  return ids;
}

function fileEntry(file: string, key: string): string[] | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === key || (/^\d+$/.test(key) && fields[2] === key)) return fields;
  }
  return null;
}

/** Resolves a named user and group through NSS, or throws IdentityError. */
export function resolveIdentity(user: string | null, group: string | null): Identity {
  if (user === null && group === null) return { type: 'HostIdentity', user: null, uid: null, group: null, gid: null };
  let uid: number | null = null;
  let gid: number | null = null;
  if (user !== null) {
    const pw = nssEntry('passwd', user);
    if (pw === null) throw new IdentityError(`user '${user}' does not exist`);
    uid = Number(pw[2]);
    gid = Number(pw[3]);
  }
  if (group !== null) {
    const gr = nssEntry('group', group);
    if (gr === null) throw new IdentityError(`group '${group}' does not exist`);
    gid = Number(gr[2]);
  }
  return { type: user !== null ? 'SpecificUser' : 'HostIdentity', user, uid, group, gid };
}

/**
 * A pool's identity: `dynamicUid` is the pool's number from the host's table (dynamic-uid.ts),
 * used under ApplicationPoolIdentity. A non-root host cannot switch users: asked to, it is an
 * invalid identity rather than a worker that fails in setpriv.
 */
export function resolvePoolIdentity(pm: Pick<ProcessModelConfig, 'identityType' | 'user' | 'group'>, dynamicUid: number | null, root = hostIsRoot()): Identity {
  const type = identityTypeOf(pm, root);
  if (type === 'HostIdentity') {
    const base = resolveIdentity(null, pm.group);
    if (pm.group !== null && !root) throw new IdentityError(`the host does not run as root and cannot switch to group '${pm.group}'`);
    return { ...base, type };
  }
  if (!root) throw new IdentityError(`the host does not run as root and cannot switch to ${type === 'SpecificUser' ? `user '${pm.user}'` : 'an ApplicationPoolIdentity'}`);
  if (type === 'SpecificUser') {
    if (pm.user === null) throw new IdentityError('identityType SpecificUser needs processModel.user');
    return resolveIdentity(pm.user, pm.group);
  }
  if (dynamicUid === null) throw new IdentityError('no free uid is left in the ApplicationPoolIdentity range');
  const gid = pm.group === null ? dynamicUid : resolveIdentity(null, pm.group).gid;
  return { type, user: null, uid: dynamicUid, group: pm.group, gid };
}
