/**
 * The admin API's listeners (DESIGN §7): always a unix socket (mode 0600, no token), and
 * optionally TCP, where every request but the health checks needs the bearer token. Both serve
 * the same routes (admin-routes.ts). Nothing a request does can bring the host down: every
 * handler's failure becomes a JSON error, and listener errors are reported, not thrown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HostControl } from './host-control.ts';
import type { DrainControl } from './drain-control.ts';
import { dispatch } from './admin-routes.ts';
import { isAuthorized, isPublicPath, tokenCookie, tokensEqual } from './admin-auth.ts';
import { sendJson } from './http-reply.ts';
import { hostAllowed } from './admin-host-check.ts';
import { PaddockError } from '../paddock-error.ts';

/** Longest unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** A listener that could not be set up; `code` is stable. */
export class AdminServerError extends PaddockError<'ADMIN_TOKEN_REQUIRED' | 'ADMIN_SOCKET_IN_USE' | 'ADMIN_SOCKET_PATH_TOO_LONG' | 'ADMIN_SOCKET_PATH_TAKEN'> {}

export interface AdminServerOptions {
  readonly socket: string;
  readonly tcp: { readonly host: string; readonly port: number } | null;
  readonly token: string | null;
  /** The dashboard page served at `/` and `/dashboard`; without it those answer 404. */
  readonly dashboardHtml?: () => string;
  /** Told about listener errors after start (accept failures and the like). Default: stderr. */
  readonly onError?: (err: Error) => void;
  /** The host's drain (`/api/drain`, and readiness 503 while draining); without it there is none. */
  readonly drain?: DrainControl;
  /** Host names the TCP binding answers besides its address and localhost (`admin.hosts`). */
  readonly hosts?: readonly string[];
  /** Told about a TCP request refused for its Host header (event 7112); at most once a minute per name. */
  readonly onHostRefused?: (refused: { readonly host: string | null; readonly peer: string | null; readonly path: string }) => void;
}

/** How long a refused Host name is not reported again. */
const hostReportQuietMs = 60_000;

export interface AdminServer {
  /** Stops listening, ends open streams, and removes the socket file. */
  close(): Promise<void>;
  /** The TCP port actually bound (useful with port 0), or null without TCP. */
  readonly tcpPort: number | null;
}

/** Whether some process accepts connections on the unix socket `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Clears the way for a socket at `path`: a stale socket goes, a live one or another file stays. */
async function prepareSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new AdminServerError('ADMIN_SOCKET_PATH_TOO_LONG', `admin socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes: ${path}`);
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const st = await lstat(path).catch(() => null);
  if (!st) return;
  if (!st.isSocket()) throw new AdminServerError('ADMIN_SOCKET_PATH_TAKEN', `admin socket path exists and is not a socket: ${path}`);
  if (await socketAnswers(path)) {
    throw new AdminServerError('ADMIN_SOCKET_IN_USE', `another host is already listening on ${path}`);
  }
  // Left by a host that did not shut down cleanly (SIGKILL, power loss).
  await unlink(path).catch(() => {});
}

function listen(server: Server, target: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => { server.off('error', reject); resolve(); };
    if (typeof target === 'string') server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Event streams and `logs --follow` never end on their own; idle keep-alives neither.
    server.closeAllConnections();
  });
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null; // "null" and other opaque origins match no host
  }
}

/** The TCP listener's check before any route: true lets the request through, false has answered it. */
function tcpGate(token: string, req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://paddock');
  if (isPublicPath(req.method ?? 'GET', url.pathname)) return true;
  const queryToken = url.searchParams.get('token');
  if (req.method === 'GET' && queryToken !== null && tokensEqual(queryToken, token)) {
    // The dashboard opened as /?token=T: keep the token in a cookie, take it out of the address bar.
    url.searchParams.delete('token');
    res.writeHead(303, { location: url.pathname + url.search, 'set-cookie': tokenCookie(token), 'cache-control': 'no-store' });
    res.end();
    return false;
  }
  if (!isAuthorized(req, token)) {
    // RFC 6750 §3: a 401 names the scheme the client should use.
    sendJson(res, 401, { error: 'a bearer token is required on the TCP admin listener', code: 'Unauthorized' }, {
      'www-authenticate': 'Bearer realm="paddock"',
    });
    return false;
  }
  // A cookie rides along on any request the browser makes; refuse a state change from another origin.
  const origin = req.headers.origin;
  if (req.method !== 'GET' && req.method !== 'HEAD' && !req.headers.authorization && origin && originHost(origin) !== req.headers.host) {
    sendJson(res, 403, { error: 'cross-origin request refused', code: 'Forbidden' });
    return false;
  }
  return true;
}

/**
 * Starts the admin API on `options.socket` and, if given, on `options.tcp` (which requires a token).
 * @example const admin = await startAdminServer(control, { socket: '/var/lib/paddock/admin.sock', tcp: null, token: null });
 */
export async function startAdminServer(control: HostControl, options: AdminServerOptions): Promise<AdminServer> {
  const { socket, tcp, token, dashboardHtml } = options;
  const env = { control, drain: options.drain ?? null, dashboardHtml };
  const onError = options.onError ?? ((err: Error) => process.stderr.write(`paddock admin: ${err.message}\n`));
  if (tcp && !token) throw new AdminServerError('ADMIN_TOKEN_REQUIRED', 'the admin TCP listener requires a token');

  const reported = new Map<string, number>();
  const refuseHost = (req: IncomingMessage, res: ServerResponse): void => {
    const host = req.headers.host ?? null;
    const key = host ?? '';
    const now = Date.now();
    if ((reported.get(key) ?? -Infinity) + hostReportQuietMs <= now) {
      reported.set(key, now);
      if (reported.size > 1000) reported.clear();
      options.onHostRefused?.({ host, peer: req.socket.remoteAddress ?? null, path: new URL(req.url ?? '/', 'http://paddock').pathname });
    }
    sendJson(res, 403, { error: `the admin binding does not answer to Host ${host === null ? '(none)' : JSON.stringify(host)}; list it in admin.hosts`, code: 'HostRefused' });
  };

  const handle = (req: IncomingMessage, res: ServerResponse, viaTcp: boolean): void => {
    req.resume(); // no route reads a body; drain it so the connection can be reused
    // The dashboard and the API are never framed by another page (clickjacking).
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('content-security-policy', "frame-ancestors 'none'");
    try {
      if (viaTcp && tcp) {
        const path = new URL(req.url ?? '/', 'http://paddock').pathname;
        // Load balancers' health checks name whatever host they were told; they read nothing secret.
        if (!isPublicPath(req.method ?? 'GET', path) && !hostAllowed(req, tcp.host, options.hosts ?? [])) return refuseHost(req, res);
      }
      if (viaTcp && token && !tcpGate(token, req, res)) return;
    } catch (err) {
      sendJson(res, 400, { error: (err as Error).message, code: 'BadRequest' });
      return;
    }
    dispatch(req, res, env).catch(() => res.destroy());
  };

  const unixServer = createServer((req, res) => handle(req, res, false));
  let tcpServer: Server | null = null;
  await prepareSocketPath(socket);
  // The socket is created with a restrictive umask so that there is no moment it is open to all.
  // bind(2) happens inside listen() synchronously, so the umask is restored before anything else runs.
  const previousUmask = process.umask(0o177);
  let listening: Promise<void>;
  try {
    listening = listen(unixServer, socket);
  } finally {
    process.umask(previousUmask);
  }
  await listening;
  await chmod(socket, 0o600);
  unixServer.on('error', onError);

  let tcpPort: number | null = null;
  if (tcp) {
    tcpServer = createServer((req, res) => handle(req, res, true));
    try {
      await listen(tcpServer, tcp);
    } catch (err) {
      await closeServer(unixServer);
      await unlink(socket).catch(() => {});
      throw err;
    }
    tcpServer.on('error', onError);
    const address = tcpServer.address();
    tcpPort = typeof address === 'object' && address ? address.port : tcp.port;
  }

  let closing: Promise<void> | null = null;
  return {
    tcpPort,
    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.all([closeServer(unixServer), tcpServer ? closeServer(tcpServer) : Promise.resolve()]);
        await unlink(socket).catch(() => {});
      })();
      return closing;
    },
  };
}
