/**
 * What client connections read: routes, pools, the upstream connections, the access log, and the
 * one hook every finished request goes through. Swapped in part on reload.
 */
import type { PoolDoor } from '../pools/pool-door.ts';
import type { AccessLog } from './access-log.ts';
import type { Router } from './router.ts';
import type { Upstreams } from './upstreams.ts';
import type { FastCgiUpstreams } from './fastcgi-upstreams.ts';
import type { RequestRecord } from './request-record.ts';
import type { OpenFiles } from './open-files.ts';
import type { BodyWatch } from './body-watch.ts';

/** The client connections a front door holds (their sockets, and their graceful end at host stop). */
export interface HeldConnection {
  readonly socket: { destroy(): void };
  /** Host stop: serve the request in hand, then close (ClientConnection.quiesce). */
  quiesce(graceMs: number): Promise<void>;
}

export interface FrontDoorContext {
  router: Router;
  /** Timers of client connections, in ms (webLimits). */
  limits: { connectionTimeout: number; headerWaitTimeout: number; entityBodyTimeout?: number };
  /** The connections reading a request body, swept for webLimits.entityBodyTimeout. */
  readonly bodyWatch?: BodyWatch;
  readonly pools: ReadonlyMap<string, PoolDoor>;
  /** Keep-alive connections to the workers, for the HTTP upstream protocol. */
  readonly upstreams: Upstreams;
  /** Kept connections to FastCGI workers (FCGI_KEEP_CONN), for the FastCGI upstream protocol. */
  readonly fastcgiUpstreams: FastCgiUpstreams;
  readonly accessLog: AccessLog;
  readonly connections: Set<HeldConnection>;
  /** The descriptor reserve, and whether new clients are refused because the host has none left. */
  readonly openFiles: OpenFiles;
  /**
   * Told about every request as it ends, answered or not, after the access log (whose batches
   * already feed /metrics and the history). The record is the access log's too: read, never change.
   */
  onRequestEnd?: (record: RequestRecord) => void;
  /** Told about a bug met on a connection (the connection is closed; the front door goes on). */
  onInternalError?: (err: Error) => void;
  /** The host is draining (`paddock drain`): every answer closes its keep-alive connection. */
  draining?: boolean;
}
