/**
 * Authentication of the admin API's TCP listener. The unix socket needs none: its mode (0600) is
 * the guard, as for the Docker and containerd sockets. Over TCP every request carries
 * `Authorization: Bearer <token>` (RFC 6750 §2.1), except the health checks that load balancers
 * call without credentials (DESIGN §8).
 *
 * A browser cannot put a bearer token on a page load, so the dashboard may be opened once as
 * `/?token=T`: the token is then kept in an HttpOnly, SameSite=Strict cookie (RFC 6265bis) and the
 * address bar is cleaned by a redirect. SameSite=Strict keeps other sites from riding that cookie.
 */
import type { IncomingMessage } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_COOKIE } from '../front-door/admin-cookie.ts';

/** Cookie that carries the token for the dashboard in a browser; the front door keeps it from workers. */
export const TOKEN_COOKIE = ADMIN_COOKIE;

/** Paths anyone may read over TCP: the load balancer's checks. */
export function isPublicPath(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return path === '/health' || /^\/health\/pools\/[^/]+$/.test(path);
}

/**
 * Compares two secrets in constant time. Hashing first gives equal lengths (timingSafeEqual needs
 * them) without revealing the token's length through an early return.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The token a request presents: the bearer header first, else the dashboard cookie. */
export function presentedToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : null;
  }
  return cookieToken(req);
}

/** Whether the request may proceed on the TCP listener. */
export function isAuthorized(req: IncomingMessage, token: string): boolean {
  const given = presentedToken(req);
  return given !== null && tokensEqual(given, token);
}

/** The Set-Cookie value that keeps the token for the dashboard. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
