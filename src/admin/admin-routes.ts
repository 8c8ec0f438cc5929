/**
 * The admin API's routes (DESIGN §7): one table of method, path pattern and handler. Handlers read
 * snapshots and call commands through `HostControl`, never the host's internals (STYLE §6), and
 * throw errors with codes; `dispatch` turns those into statuses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminError, type HostControl } from './host-control.ts';
import { AdminHttpError, sendError, sendJson, sendText } from './http-reply.ts';
import { DEFAULT_EVENT_LIMIT, readEventFilter } from './event-query.ts';
import { streamEvents } from './event-stream.ts';
import { readLogOptions, streamLog } from './log-stream.ts';

/** Prometheus text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The pattern's captures, URI-decoded. */
  readonly params: readonly string[];
  readonly control: HostControl;
  readonly dashboardHtml: (() => string) | undefined;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handle: (ctx: RouteContext) => void | Promise<void>;
}

type PoolCommand = 'startPool' | 'stopPool' | 'recyclePool';
const POOL_COMMANDS: Readonly<Record<string, PoolCommand>> = { start: 'startPool', stop: 'stopPool', recycle: 'recyclePool' };

function dashboard({ res, dashboardHtml }: RouteContext): void {
  if (!dashboardHtml) throw new AdminHttpError(404, 'NotFound', 'no dashboard is served by this host');
  sendText(res, 200, 'text/html; charset=utf-8', dashboardHtml());
}

/** Every route of the admin API. Adding one is adding an entry here. */
export const ADMIN_ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/api\/pools$/, handle: ({ res, control }) => sendJson(res, 200, control.pools()) },
  { method: 'GET', pattern: /^\/api\/pools\/([^/]+)$/, handle: ({ res, control, params }) => sendJson(res, 200, control.pool(params[0])) },
  {
    method: 'POST',
    pattern: /^\/api\/pools\/([^/]+)\/(start|stop|recycle)$/,
    handle: async ({ res, control, params }) => {
      const [name, verb] = params;
      control.pool(name); // an unknown pool is a 404 before any command runs
      await control[POOL_COMMANDS[verb]](name);
      sendJson(res, 200, control.pool(name));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/workers$/,
    handle: ({ res, control, url }) => {
      const pool = url.searchParams.get('pool') || undefined;
      if (pool !== undefined) control.pool(pool);
      sendJson(res, 200, control.workers(pool));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/events$/,
    handle: ({ res, control, url }) => {
      const filter = readEventFilter(url.searchParams, Date.now(), DEFAULT_EVENT_LIMIT);
      sendJson(res, 200, control.events.query(filter));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/events\/stream$/,
    handle: ({ req, res, control, url }) => {
      const filter = readEventFilter(url.searchParams, Date.now());
      streamEvents(req, res, control.events, filter, url.searchParams);
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/logs\/([^/]+)$/,
    handle: async ({ res, control, url, params }) => {
      const options = readLogOptions(url.searchParams);
      control.pool(params[0]);
      await streamLog(res, control.logFile(params[0]), options);
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/reload$/,
    handle: async ({ res, control }) => {
      const result = await control.reload();
      sendJson(res, result.ok ? 200 : 400, result);
    },
  },
  {
    // `paddock shutdown`: answered before the stop begins; the host then drains as on SIGTERM.
    method: 'POST',
    pattern: /^\/api\/shutdown$/,
    handle: ({ res, control }) => {
      if (!control.requestShutdown) throw new AdminError('Conflict', 'this host cannot be stopped through the admin API');
      control.requestShutdown();
      sendJson(res, 202, { stopping: true, pid: process.pid });
    },
  },
  {
    // Buckets of crash and hang reports, most recently seen first (DESIGN §7 `crashes`).
    method: 'GET',
    pattern: /^\/api\/crashes$/,
    handle: ({ res, control, url }) => sendJson(res, 200, control.crashes(url.searchParams.get('pool') || undefined)),
  },
  {
    // A report id ("crash-…", "hang-…") gives that report; a bucket id gives the bucket's newest report.
    method: 'GET',
    pattern: /^\/api\/crashes\/([^/]+)$/,
    handle: ({ res, control, params }) => sendJson(res, 200, control.crash(params[0])),
  },
  {
    // `paddock debug POOL --next-crash`: arms full capture until the next crash; ?nextCrash=off disarms.
    method: 'POST',
    pattern: /^\/api\/pools\/([^/]+)\/debug$/,
    handle: async ({ res, control, params, url }) => {
      const value = url.searchParams.get('nextCrash') ?? 'on';
      if (!['on', 'off', '1', '0', 'true', 'false'].includes(value)) {
        throw new AdminHttpError(400, 'BadRequest', `nextCrash must be on or off, not '${value}'`);
      }
      sendJson(res, 200, await control.debugNextCrash(params[0], ['on', '1', 'true'].includes(value)));
    },
  },
  { method: 'GET', pattern: /^\/metrics$/, handle: async ({ res, control }) => sendText(res, 200, METRICS_CONTENT_TYPE, await control.metrics()) },
  {
    method: 'GET',
    pattern: /^\/health$/,
    handle: ({ res, control }) => sendJson(res, 200, { status: 'ok', startedAt: control.startedAt, pid: process.pid }),
  },
  {
    method: 'GET',
    pattern: /^\/health\/pools\/([^/]+)$/,
    handle: ({ res, control, params }) => {
      const p = control.pool(params[0]);
      const body = { pool: p.name, available: p.available, state: p.state, stopReason: p.stopReason };
      // 503 is what a load balancer's readiness check understands as "take me out" (RFC 9110 §15.6.4).
      sendJson(res, p.available ? 200 : 503, body);
    },
  },
  { method: 'GET', pattern: /^\/$/, handle: dashboard },
  { method: 'GET', pattern: /^\/dashboard$/, handle: dashboard },
];

function decodeParams(match: RegExpExecArray): string[] {
  try {
    return match.slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw new AdminHttpError(400, 'BadRequest', 'malformed percent-encoding in the path');
  }
}

/** Finds the route for a request and runs it; every failure becomes a JSON error response. */
export async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  control: HostControl,
  dashboardHtml: (() => string) | undefined,
  routes: readonly Route[] = ADMIN_ROUTES,
): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://paddock');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
    // HEAD is GET without the body (RFC 9110 §9.3.2); node:http drops the body itself.
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const allowed = new Set<string>();
    for (const route of routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      if (route.method !== method) {
        allowed.add(route.method);
        if (route.method === 'GET') allowed.add('HEAD');
        continue;
      }
      await route.handle({ req, res, url, params: decodeParams(match), control, dashboardHtml });
      return;
    }
    if (allowed.size > 0) {
      // RFC 9110 §15.5.6: a 405 lists the methods the resource does support.
      throw new AdminHttpError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${path}`, { allow: [...allowed].join(', ') });
    }
    throw new AdminHttpError(404, 'NotFound', `no such route: ${req.method} ${path}`);
  } catch (err) {
    sendError(res, err);
  }
}
