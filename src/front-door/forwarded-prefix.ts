/**
 * What an app mounted below "/" is told about its mount. Every request to it carries
 * `X-Forwarded-Prefix: /api` (the app's configured path; the de facto header that Spring's
 * ForwardedHeaderFilter, ASP.NET Core's UseForwardedHeaders, werkzeug's ProxyFix and Traefik use);
 * a client's own X-Forwarded-Prefix is dropped with its X-Forwarded-Host and -Proto. With the
 * app's `stripPrefix: true` the request line loses the prefix as well, as nginx's
 * `proxy_pass http://upstream/;` does: `/api/users?x=1` reaches the worker as `/users?x=1`, and
 * `/api` as `/`, for apps written for "/". An app at "/" gets neither.
 */
import type { RequestHead } from './http-parser.ts';

/** The routing facts of the app a request was routed to (an AppConfig). */
export interface MountedApp {
  readonly path: string;
  readonly stripPrefix?: boolean;
}

/** The `X-Forwarded-Prefix` field line (with CRLF) for a request to `app`, or '' at "/". */
export function prefixField(app: MountedApp | null): string {
  return app === null || app.path === '/' ? '' : `X-Forwarded-Prefix: ${app.path}\r\n`;
}

/**
 * The request line to send instead of the client's, or null to send it as it came: with
 * `stripPrefix`, the target without the app's path (an absolute-form target becomes origin-form).
 */
export function strippedRequestLine(app: MountedApp | null, head: RequestHead): string | null {
  if (app === null || !app.stripPrefix || app.path === '/' || !head.path.startsWith(app.path)) return null;
  // The router matched the prefix on a segment boundary: what follows is "", "/…" (or "?…" for a
  // path-less query, which routing treats as the prefix itself).
  const query = head.target.indexOf('?');
  const rest = head.path.slice(app.path.length);
  const target = (rest === '' ? '/' : rest) + (query === -1 ? '' : head.target.slice(query));
  return `${head.method} ${target} HTTP/1.${head.versionMinor}\r\n`;
}
