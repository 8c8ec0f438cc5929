/**
 * The routing keys of a site: Host header patterns and app path prefixes, normalised the way the
 * front door compares them (DESIGN §5: Host header first, then the longest path prefix).
 */
import { ConfigValueError, show } from './units.ts';

/**
 * Normalises an app's path prefix: it must start with "/", and loses any trailing slash except
 * for "/" itself, so "/api/" and "/api" are one route.
 */
export function normaliseAppPath(v: unknown): string {
  if (typeof v !== 'string' || !v.startsWith('/')) {
    throw new ConfigValueError('CONFIG_BAD_PATH', `an app path must start with "/", got ${show(v)}`);
  }
  if (/[\s?#]/.test(v)) {
    throw new ConfigValueError('CONFIG_BAD_PATH', `an app path holds no spaces, "?" or "#", got ${show(v)}`);
  }
  const trimmed = v.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/**
 * Normalises a Host header pattern: "shop.example", "*.example", "*" or an address, in lower case
 * (host names are case-insensitive, RFC 9110 §4.2.3) and without a port.
 */
export function normaliseHostPattern(v: unknown): string {
  if (typeof v !== 'string') {
    throw new ConfigValueError('CONFIG_BAD_HOST', `expected a host name, got ${show(v)}`);
  }
  const h = v.trim().toLowerCase();
  if (h === '*') return h;
  if (/^\[[0-9a-f:.]+\]$/.test(h)) return h;
  if (/:\d+$/.test(h)) {
    throw new ConfigValueError('CONFIG_BAD_HOST', `${show(v)}: a host pattern has no port (ports belong to listen)`);
  }
  if (!/^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(h)) {
    throw new ConfigValueError('CONFIG_BAD_HOST', `${show(v)} is not a host name, "*.domain" or "*"`);
  }
  return h;
}
