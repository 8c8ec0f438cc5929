/**
 * The admin API's routes (DESIGN §7): one table of method, path pattern and handler. Handlers read
 * snapshots and call commands through `HostControl`, never the host's internals (STYLE §6), and
 * throw errors with codes; `dispatch` turns those into statuses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminError } from './host-control.ts';
import { parseDuration } from '../config/units.ts';
import { AdminHttpError, sendError, sendJson, sendText } from './http-reply.ts';
import { DEFAULT_EVENT_LIMIT, readEventFilter } from './event-query.ts';
import { streamEvents } from './event-stream.ts';
import { readLogOptions, streamLog } from './log-stream.ts';
import { HEALTH_ROUTES } from './health-routes.ts';
import type { DispatchEnv, Route, RouteContext } from './route.ts';

export type { DispatchEnv, Route, RouteContext } from './route.ts';

/** Prometheus text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type PoolCommand = 'startPool' | 'stopPool' | 'recyclePool';
const POOL_COMMANDS: Readonly<Record<string, PoolCommand>> = { start: 'startPool', stop: 'stopPool', recycle: 'recyclePool' };

/** `GET /metrics`; the health listener serves it too when `health.metrics` is on. */
export async function metrics({ res, control }: RouteContext): Promise<void> {
  sendText(res, 200, METRICS_CONTENT_TYPE, await control.metrics());
}

function drainOf(drain: RouteContext['drain']): NonNullable<RouteContext['drain']> {
  if (drain === null) throw new AdminHttpError(404, 'NotFound', 'this host offers no drain');
  return drain;
}

/** `?timeLimit=30s`: this drain's deadline instead of drain.timeLimit. */
function readTimeLimit(params: URLSearchParams): { timeLimit?: number } {
  const raw = params.get('timeLimit');
  if (raw === null || raw === '') return {};
  let ms: number;
  try {
    ms = parseDuration(/^\d+$/.test(raw) ? Number(raw) : raw);
  } catch (err) {
    throw new AdminHttpError(400, 'BadRequest', `timeLimit: ${(err as Error).message}`);
  }
  if (ms <= 0) throw new AdminHttpError(400, 'BadRequest', `timeLimit must be more than 0, got '${raw}'`);
  return { timeLimit: ms };
}

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
  { method: 'GET', pattern: /^\/api\/isolation$/, handle: ({ res, control }) => sendJson(res, 200, control.isolation()) },
  { method: 'GET', pattern: /^\/api\/front-door$/, handle: ({ res, control }) => sendJson(res, 200, control.frontDoorLoad()) },
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
    // The dashboard's bucket page: the bucket's newest reports, each whole (?limit=, default 20, at most 100).
    method: 'GET',
    pattern: /^\/api\/crashes\/([^/]+)\/reports$/,
    handle: ({ res, control, params, url }) => {
      const raw = url.searchParams.get('limit') ?? '20';
      if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new AdminHttpError(400, 'BadRequest', `limit must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
      sendJson(res, 200, control.crashReports(params[0], Math.min(100, Number(raw))));
    },
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
  {
    // The dashboard's charts and `paddock top`: per pool, one point per interval over the last hour.
    method: 'GET',
    pattern: /^\/api\/history$/,
    handle: ({ res, control, url }) => sendJson(res, 200, control.history(url.searchParams.get('pool') || undefined)),
  },
  { method: 'GET', pattern: /^\/metrics$/, handle: metrics },
  ...HEALTH_ROUTES,
  { method: 'GET', pattern: /^\/api\/drain$/, handle: ({ res, drain }) => sendJson(res, 200, drainOf(drain).snapshot()) },
  {
    // `paddock drain`: readiness 503 for every pool; the host exits once quiet or at the deadline.
    method: 'POST',
    pattern: /^\/api\/drain$/,
    handle: ({ res, drain, url }) => sendJson(res, 200, drainOf(drain).start(readTimeLimit(url.searchParams))),
  },
  { method: 'POST', pattern: /^\/api\/drain\/cancel$/, handle: ({ res, drain }) => sendJson(res, 200, drainOf(drain).cancel()) },
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
export async function dispatch(req: IncomingMessage, res: ServerResponse, env: DispatchEnv, routes: readonly Route[] = ADMIN_ROUTES): Promise<void> {
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
      await route.handle({ req, res, url, params: decodeParams(match), ...env });
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
