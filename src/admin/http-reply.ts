/**
 * Writing admin API responses: JSON bodies, JSON errors, and the mapping from error codes to HTTP
 * statuses. Only the admin API (and the front door) turns error codes into statuses (STYLE §5).
 */
import type { ServerResponse } from 'node:http';
import { PaddockError } from '../paddock-error.ts';

/** An error of the admin API itself (bad query, unknown route); `code` is stable for clients. */
export class AdminHttpError extends PaddockError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/** HTTP status of each `AdminError` code thrown by the host's commands. */
const ADMIN_ERROR_STATUS: Readonly<Record<string, number>> = {
  NotFound: 404,
  Conflict: 409,
  BadRequest: 400,
};

/** The status, stable code and message that an error thrown by a handler becomes. */
export function describeError(err: unknown): { status: number; code: string; message: string; headers: Record<string, string> } {
  if (err instanceof AdminHttpError) {
    return { status: err.status, code: err.code, message: err.message, headers: { ...err.headers } };
  }
  // Matched by code rather than by class so that an AdminError from another copy of the module
  // (a test double, a plugin) maps the same way.
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && code in ADMIN_ERROR_STATUS) {
    return { status: ADMIN_ERROR_STATUS[code], code, message, headers: {} };
  }
  return { status: 500, code: 'InternalError', message: message || 'internal error', headers: {} };
}

/** Sends `body` as indented JSON (readable with plain curl), ending with a newline. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends `{ error, code }` for any error; once headers are out, it can only cut the response. */
export function sendError(res: ServerResponse, err: unknown): void {
  const { status, code, message, headers } = describeError(err);
  if (res.headersSent) {
    // A streaming response that failed midway: the status is gone, so end it where it is.
    res.destroy();
    return;
  }
  sendJson(res, status, { error: message, code }, headers);
}

/** Sends plain text with an explicit content type (used for /metrics). */
export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
