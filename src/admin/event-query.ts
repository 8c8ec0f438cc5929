/**
 * Reading the filters of `GET /api/events` and `GET /api/events/stream` from a query string:
 * `pool`, `id` (event number, DESIGN §6), `since`, `after` (sequence number) and `limit`.
 */
import { parseDuration } from '../config/units.ts';
import { AdminHttpError } from './http-reply.ts';
import { PaddockError } from '../paddock-error.ts';

/** Events returned by one `GET /api/events` when the request gives no `limit`. */
export const DEFAULT_EVENT_LIMIT = 100;
/** The most events one `GET /api/events` returns, whatever `limit` asks for. */
export const MAX_EVENT_LIMIT = 10_000;

export interface EventFilter {
  readonly pool?: string;
  readonly id?: number;
  readonly sinceMs?: number;
  readonly afterSeq?: number;
  readonly limit?: number;
}

/** Codes of `parseSince` failures; the API answers them with 400. */
export class SinceError extends PaddockError<'BadSince'> {
  constructor(message: string) {
    super('BadSince', message, { step: 'read the since value' });
  }
}

/**
 * Reads a `since` value as epoch milliseconds: a duration ("10m", "1h30m", "2d", "00:15:00")
 * means that long before `nowMs`; an ISO time ("2025-01-31T10:00:00Z", "2025-01-31") is that
 * instant; a bare integer is epoch milliseconds.
 * @example parseSince("1h", Date.parse("2025-01-01T01:00:00Z")) // Date.parse("2025-01-01T00:00:00Z")
 */
export function parseSince(text: string, nowMs: number): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  // A date always has a "-" between year and month; a duration never does.
  if (/^\d{4}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) throw new SinceError(`invalid time ${JSON.stringify(text)}: use an ISO time such as 2025-01-31T10:00:00Z`);
    return ms;
  }
  try {
    return nowMs - parseDuration(t);
  } catch {
    throw new SinceError(
      `invalid since ${JSON.stringify(text)}: use a duration ("10m", "1h", "2d"), an ISO time, or epoch milliseconds`,
    );
  }
}

function integer(params: URLSearchParams, name: string, min: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new AdminHttpError(400, 'BadRequest', `${name} must be an integer of at least ${min}, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** Reads the event filters of a request; bad values are a 400 with the parameter's name. */
export function readEventFilter(params: URLSearchParams, nowMs: number, defaultLimit?: number): EventFilter {
  const pool = params.get('pool') || undefined;
  const id = integer(params, 'id', 1);
  const afterSeq = integer(params, 'after', 0);
  let limit = integer(params, 'limit', 1) ?? defaultLimit;
  if (limit !== undefined) limit = Math.min(limit, MAX_EVENT_LIMIT);
  let sinceMs: number | undefined;
  const since = params.get('since');
  if (since !== null && since !== '') {
    try {
      sinceMs = parseSince(since, nowMs);
    } catch (err) {
      throw new AdminHttpError(400, 'BadRequest', (err as Error).message);
    }
  }
  return { pool, id, sinceMs, afterSeq, limit };
}
