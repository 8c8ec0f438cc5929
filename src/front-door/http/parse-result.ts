/**
 * What parsing a head can say: wait for more bytes, refuse, or go. A refusal carries the status
 * the front door answers with, a stable `code`, and the HTTP.sys httperr `reason` (`Header`,
 * `Verb`, `URL_Length`, ...) so the access log reads like IIS's.
 */

/** HTTP.sys httperr reasons, which the access log uses for refusals the front door makes itself. */
export type HttpSysReason =
  | 'BadRequest' | 'Header' | 'Hostname' | 'Invalid_CR/LF' | 'N/I' | 'Number' | 'EntityTooLarge'
  | 'RequestLength' | 'URL' | 'URL_Length' | 'Verb' | 'Version_N/S';

/** The status the front door answers with; 502 for a worker's response it cannot frame. */
export type ParseErrorStatus = 400 | 413 | 414 | 431 | 501 | 502 | 505;

/** The status for a malformed field: 400 in a request, 502 in a worker's response. */
export type BadMessageStatus = 400 | 502;

/** A head the front door must refuse; `code` is stable, `message` is for people. */
export interface ParseError {
  readonly kind: 'error';
  readonly status: ParseErrorStatus;
  readonly code: string;
  readonly reason: HttpSysReason;
  readonly message: string;
}

/** Outcome of parsing a head: wait for more bytes, refuse, or go. */
export type ParseResult<T> =
  | { readonly kind: 'incomplete' }
  | ParseError
  | { readonly kind: 'ok'; readonly head: T };

/** The one "wait for more bytes" answer: it allocates nothing. */
export const INCOMPLETE: { readonly kind: 'incomplete' } = Object.freeze({ kind: 'incomplete' as const });

/** A refusal. */
export function fail(status: ParseErrorStatus, code: string, reason: HttpSysReason, message: string): ParseError {
  return { kind: 'error', status, code, reason, message };
}

/** RFC 9112 §2.2: a bare LF is refused, never taken for a line end. */
export function bareLf(bad: BadMessageStatus): ParseError {
  return fail(bad, 'BARE_LF', 'Invalid_CR/LF', 'LF not preceded by CR');
}

/** A CR that is not followed by LF. */
export function bareCr(bad: BadMessageStatus): ParseError {
  return fail(bad, 'BARE_CR', 'Invalid_CR/LF', 'CR not followed by LF');
}
