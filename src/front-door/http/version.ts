/** The HTTP-version of a start line (RFC 9112 §2.3): "HTTP/" DIGIT "." DIGIT, of which 1.0 and 1.1 are served. */
import { bytesEqual } from './chars.ts';
import { fail, type BadMessageStatus, type ParseError } from './parse-result.ts';

/**
 * Checks the version at buf[i, i + 8). Returns the minor version, or an error: 505 for a
 * well-formed HTTP/d.d other than 1.0 and 1.1, `bad` for anything else (a read past the end of
 * `buf` is malformed too; the caller knows whether the head was complete).
 */
export function parseVersion(buf: Buffer, i: number, bad: BadMessageStatus): 0 | 1 | ParseError {
  const major = buf[i + 5] - 0x30;
  const minor = buf[i + 7] - 0x30;
  const shaped = bytesEqual(buf, i, 'HTTP/') && major >= 0 && major <= 9 && buf[i + 6] === 0x2e && minor >= 0 && minor <= 9;
  if (!shaped) return fail(bad, 'INVALID_VERSION', 'BadRequest', 'malformed HTTP version');
  if (major !== 1 || minor > 1) {
    return fail(bad === 400 ? 505 : 502, 'UNSUPPORTED_VERSION', 'Version_N/S', `HTTP/${major}.${minor} not supported`);
  }
  return minor === 0 ? 0 : 1;
}
