/**
 * The dashboard keeps its token in a cookie (`paddock_token`, src/admin/admin-auth.ts). A browser
 * sends it to every site on the same host name, a pool's app included, so the front door takes it
 * out of what a worker sees: the Cookie field of an HTTP pool's request, HTTP_COOKIE of a FastCGI
 * one. The other cookies go through as they came (RFC 6265 §5.4 `name=value; name=value`).
 */

import { ADMIN_COOKIE } from './http/field-scan.ts';

/** The admin cookie's name; src/admin/admin-auth.ts sets it. The parser notes a request that carries it (RequestHead.hasAdminCookie). */
export { ADMIN_COOKIE };

/** A Cookie value without the admin cookie; null when nothing is left. */
export function withoutAdminCookie(value: string): string | null {
  if (!value.includes(ADMIN_COOKIE)) return value;
  const kept = value.split(';').filter((pair) => {
    const eq = pair.indexOf('=');
    return (eq < 0 ? pair : pair.slice(0, eq)).trim() !== ADMIN_COOKIE;
  });
  const out = kept.map((p) => p.trim()).filter((p) => p !== '').join('; ');
  return out === '' ? null : out;
}
