/**
 * One route of the admin API or the health listener: a method, a path pattern and a handler that
 * reads snapshots and calls commands through `HostControl` (and the drain), never the host's
 * internals (STYLE §6). Handlers throw errors with codes; `dispatch` turns them into statuses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostControl } from './host-control.ts';
import type { DrainControl } from './drain-control.ts';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The pattern's captures, URI-decoded. */
  readonly params: readonly string[];
  readonly control: HostControl;
  /** The host's drain; null where the host offers none (the admin API's unit tests). */
  readonly drain: DrainControl | null;
  readonly dashboardHtml: (() => string) | undefined;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handle: (ctx: RouteContext) => void | Promise<void>;
}

/** What `dispatch` hands every route besides the request itself. */
export interface DispatchEnv {
  readonly control: HostControl;
  readonly drain: DrainControl | null;
  readonly dashboardHtml: (() => string) | undefined;
}
