/**
 * No token ships with Paddock: a TCP admin binding without `admin.token` gets a random one made on
 * first start, stored 0600 in `<dataDir>/admin.token` and used again on every later start.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PaddockError } from '../paddock-error.ts';

/** The made token's file could not be read or written safely. */
export class AdminTokenError extends PaddockError<'ADMIN_TOKEN_FILE'> {
  constructor(message: string, cause?: unknown) {
    super('ADMIN_TOKEN_FILE', message, { step: 'read or make the admin token', cause });
  }
}

export interface AdminTokenFile {
  readonly file: string;
  readonly token: string;
  /** True when this start made it (print it once, event 7111). */
  readonly created: boolean;
}

/** `<dataDir>/admin.token`. */
export function adminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin.token');
}

/** Reads the token kept in dataDir, or makes one (32 random bytes, base64url: 43 characters). */
export function loadOrCreateAdminToken(dataDir: string): AdminTokenFile {
  const file = adminTokenPath(dataDir);
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st) {
    if (!st.isFile()) throw new AdminTokenError(`${file} exists and is not a regular file`);
    if (st.uid !== (process.getuid?.() ?? st.uid)) throw new AdminTokenError(`${file} is owned by uid ${st.uid}, not by the host's user`);
    if ((st.mode & 0o077) !== 0) chmodSync(file, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    if (token.length > 0) return { file, token, created: false };
  }
  const token = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: st ? 'w' : 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    throw new AdminTokenError(`cannot write the admin token to ${file}: ${(err as Error).message}`, err);
  }
  return { file, token, created: true };
}
