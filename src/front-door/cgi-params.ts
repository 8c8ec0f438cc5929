/**
 * The CGI/1.1 variables of one request (RFC 3875 §4.1), as FCGI_PARAMS carries them, plus the
 * ones PHP and every FastCGI server since Apache's mod_fastcgi pass: SCRIPT_FILENAME, REQUEST_URI,
 * DOCUMENT_ROOT, HTTPS, REDIRECT_STATUS.
 *
 * Which script runs is decided here, from the path alone, as nginx's `fastcgi_split_path_info`
 * and IIS's `*.php` handler mapping do, with no file-system lookup on the request path:
 * - the path is percent-decoded and its dot segments removed (RFC 3986 §5.2.4); a `..` that would
 *   climb above the document root, an encoded NUL or a bad escape is refused with 400, so
 *   SCRIPT_FILENAME is always inside `documentRoot`;
 * - the script is the path up to the first segment ending in `.php`, the rest is PATH_INFO
 *   (`/index.php/a/b` → SCRIPT_NAME `/index.php`, PATH_INFO `/a/b`);
 * - a path ending in `/` runs its folder's `index.php` (IIS's default document, nginx's
 *   `fastcgi_index`);
 * - any other path is not a script: 404 from the host, so an uploaded `photo.jpg` is never run as
 *   PHP (the `cgi.fix_pathinfo` hole of nginx setups, CVE-2019-11043's family).
 *
 * Every value is a byte string (one character per byte, latin1), the way the front door holds a
 * request head, so a header's or a path's bytes reach the application exactly as sent.
 */
import type { RequestHead } from './http-parser.ts';
import { withoutAdminCookie } from './admin-cookie.ts';

/** What the front door knows of the client connection a request came on. */
export interface CgiConnectionFacts {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly serverAddress: string;
  readonly serverPort: number;
  /** The client connection is TLS (an `https://` binding). */
  readonly https: boolean;
}

/** The variables to send, or why the request cannot go to a FastCGI worker. */
export type CgiParamsResult =
  | { readonly kind: 'ok'; readonly params: Array<[string, string]>; readonly scriptName: string; readonly scriptFilename: string }
  | { readonly kind: 'refused'; readonly status: 400 | 404 | 411; readonly reason: 'URL' | 'NotFound' | 'LengthRequired'; readonly message: string };

/** The script suffix that is passed to the FastCGI worker. */
const SCRIPT_SUFFIX = '.php';
/** The script a folder path runs. */
const INDEX = 'index.php';
const SERVER_SOFTWARE = 'paddock';

/**
 * Fields that do not become HTTP_* variables: the two CGI gives names of their own (§4.1.2, §4.1.3),
 * `Proxy` (httpoxy, CVE-2016-5385: HTTP_PROXY is read as a proxy setting by many libraries), and
 * the forwarding fields the front door sets itself (a client may not claim a scheme or host).
 */
const SKIPPED = new Set(['content-type', 'content-length', 'proxy', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for']);

/** Percent-decodes a path into a byte string; null when an escape is malformed or decodes to NUL. */
export function decodePath(path: string): string | null {
  if (!path.includes('%')) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c !== 0x25) {
      out += path[i];
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const byte = parseInt(hex, 16);
    if (byte === 0) return null;
    out += String.fromCharCode(byte);
    i += 2;
  }
  return out;
}

/**
 * RFC 3986 §5.2.4 on a decoded path, with empty segments merged (nginx's merge_slashes). Null when
 * a `..` would leave the root: such a request is a traversal attempt, answered 400 as nginx does.
 */
export function normalisePath(path: string): string | null {
  const segments: string[] = [];
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (segments.length === 0) return null;
      segments.pop();
      continue;
    }
    segments.push(part);
  }
  const last = parts[parts.length - 1];
  const trailing = segments.length > 0 && (last === '' || last === '.' || last === '..');
  return '/' + segments.join('/') + (trailing ? '/' : '');
}

/** SCRIPT_NAME and PATH_INFO of a normalised path, or null when the path names no script. */
export function splitScript(path: string): { scriptName: string; pathInfo: string } | null {
  let from = 1;
  while (from < path.length) {
    let end = path.indexOf('/', from);
    if (end === -1) end = path.length;
    if (end - from > SCRIPT_SUFFIX.length && path.startsWith(SCRIPT_SUFFIX, end - SCRIPT_SUFFIX.length)) {
      return { scriptName: path.slice(0, end), pathInfo: path.slice(end) };
    }
    from = end + 1;
  }
  if (path.endsWith('/')) return { scriptName: path + INDEX, pathInfo: '' };
  return null;
}

/** The header fields of a parsed head, as [lower-case name, value] (the parser has validated them). */
export function headerFields(head: RequestHead, raw: Buffer): Array<[string, string]> {
  const text = raw.toString('latin1', head.requestLineEnd, head.headLength - 2);
  const out: Array<[string, string]> = [];
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    out.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** The request-target as REQUEST_URI: origin-form as sent; absolute-form without scheme and authority. */
function requestUri(target: string): string {
  if (target.startsWith('/')) return target;
  const scheme = target.indexOf('://');
  if (scheme === -1) return target;
  const slash = target.indexOf('/', scheme + 3);
  if (slash !== -1) return target.slice(slash);
  const query = target.indexOf('?', scheme + 3);
  return query === -1 ? '/' : '/' + target.slice(query);
}

/**
 * The CGI variables of a request for a FastCGI pool whose scripts live under `documentRoot`
 * (absolute, no trailing slash), or the refusal the front door answers with. `mount` is the path
 * of an app with `stripPrefix: true` (IIS's virtual directory): the script is looked for under
 * `documentRoot` without it (`/blog/index.php` runs `<documentRoot>/index.php`) and SCRIPT_NAME
 * keeps it, so the links a script makes from SCRIPT_NAME stay inside the app.
 */
export function buildCgiParams(head: RequestHead, raw: Buffer, conn: CgiConnectionFacts, documentRoot: string, mount: string | null = null): CgiParamsResult {
  // CGI gives a script its body's length up front (§4.1.2); PHP reads no body without it. A chunked
  // upload is refused as nginx did before it spooled bodies: 411 asks the client for a length.
  if (head.chunked) {
    return { kind: 'refused', status: 411, reason: 'LengthRequired', message: 'A FastCGI application needs the length of a request body: send it with Content-Length.' };
  }
  const decoded = decodePath(head.path);
  if (decoded === null) return { kind: 'refused', status: 400, reason: 'URL', message: 'The request path has a malformed or NUL percent-escape.' };
  const path = normalisePath(decoded);
  if (path === null) return { kind: 'refused', status: 400, reason: 'URL', message: 'The request path climbs above the document root.' };
  let scriptPath = path;
  const prefix = mount === null || mount === '/' ? '' : mount.endsWith('/') ? mount.slice(0, -1) : mount;
  if (prefix !== '') {
    if (path !== prefix && !path.startsWith(prefix + '/')) return { kind: 'refused', status: 400, reason: 'URL', message: 'The request path climbs out of its application.' };
    scriptPath = path.slice(prefix.length) || '/';
  }
  const split = splitScript(scriptPath);
  if (split === null) {
    return { kind: 'refused', status: 404, reason: 'NotFound', message: `No PHP script matches this path: only *${SCRIPT_SUFFIX} files and folders (their ${INDEX}) are run.` };
  }
  const root = documentRoot.endsWith('/') ? documentRoot.slice(0, -1) : documentRoot;
  const scriptFilename = root + split.scriptName;
  const q = head.target.indexOf('?');
  const query = q === -1 ? '' : head.target.slice(q + 1);
  const https = conn.https;
  const params: Array<[string, string]> = [
    ['GATEWAY_INTERFACE', 'CGI/1.1'],
    ['SERVER_SOFTWARE', SERVER_SOFTWARE],
    ['SERVER_PROTOCOL', head.versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0'],
    ['REQUEST_METHOD', head.method],
    ['REQUEST_URI', requestUri(head.target)],
    ['QUERY_STRING', query],
    ['DOCUMENT_ROOT', root],
    ['DOCUMENT_URI', path],
    ['SCRIPT_NAME', prefix + split.scriptName],
    ['SCRIPT_FILENAME', scriptFilename],
    ['REMOTE_ADDR', conn.remoteAddress],
    ['REMOTE_PORT', String(conn.remotePort)],
    ['SERVER_ADDR', conn.serverAddress],
    ['SERVER_PORT', String(conn.serverPort)],
    ['SERVER_NAME', head.host ?? conn.serverAddress],
    ['REQUEST_SCHEME', https ? 'https' : 'http'],
    // php-cgi runs a script only when told a server sent it (cgi.force_redirect, on by default).
    ['REDIRECT_STATUS', '200'],
  ];
  if (split.pathInfo !== '') {
    params.push(['PATH_INFO', split.pathInfo], ['PATH_TRANSLATED', root + split.pathInfo]);
  }
  if (https) params.push(['HTTPS', 'on']);
  if (head.contentLength >= 0) params.push(['CONTENT_LENGTH', String(head.contentLength)]);

  const http = new Map<string, string>();
  let forwardedFor: string | null = null;
  for (let [name, value] of headerFields(head, raw)) {
    if (name === 'content-type') {
      params.push(['CONTENT_TYPE', value]);
      continue;
    }
    if (name === 'x-forwarded-for') forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`;
    // Underscores would make X-Foo_Bar and X-Foo-Bar one variable, a way to forge a field the app
    // trusts; nginx (underscores_in_headers off) and Apache 2.4 drop such fields too.
    if (SKIPPED.has(name) || name.includes('_')) continue;
    // The dashboard's cookie never reaches a worker (admin-cookie.ts).
    if (name === 'cookie') {
      const kept = withoutAdminCookie(value);
      if (kept === null) continue;
      value = kept;
    }
    const key = 'HTTP_' + name.toUpperCase().replaceAll('-', '_');
    const before = http.get(key);
    // RFC 3875 §4.1.18: repeated fields are joined with commas; cookies with "; " (RFC 6265 §5.4).
    http.set(key, before === undefined ? value : `${before}${name === 'cookie' ? '; ' : ', '}${value}`);
  }
  // The same forwarding fields an HTTP worker gets, so an app behind Paddock sees one story.
  http.set('HTTP_X_FORWARDED_FOR', forwardedFor === null ? conn.remoteAddress : `${forwardedFor}, ${conn.remoteAddress}`);
  http.set('HTTP_X_FORWARDED_PROTO', https ? 'https' : 'http');
  http.set('HTTP_X_FORWARDED_HOST', head.hostRaw ?? '');
  for (const entry of http) params.push(entry);
  return { kind: 'ok', params, scriptName: prefix + split.scriptName, scriptFilename };
}
