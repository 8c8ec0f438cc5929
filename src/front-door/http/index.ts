/**
 * Strict HTTP/1.1 framing for the front door (RFC 9112). The front door forwards raw bytes and
 * parses only what decides where a message ends and where it goes, so any leniency here is a
 * request-smuggling hole between us and the worker's own parser. Rules follow llhttp's strict
 * mode: one Content-Length or `Transfer-Encoding: chunked`, never both; no obs-fold; no bare CR
 * or LF; token characters in methods and field names; no CTLs in field values.
 *
 * Topics: request-head.ts (request line and request framing), response-head.ts (status line and
 * response framing), field-scan.ts (the field section both share), host.ts (Host normalisation),
 * chars.ts (byte classes), parse-result.ts (what a parse can say).
 */
export { FIELD_VALUE_CHARS, TOKEN_CHARS } from './chars.ts';
export { findHeaderValue } from './find-header.ts';
export { normalizeHost } from './host.ts';
export type { BadMessageStatus, HttpSysReason, ParseError, ParseErrorStatus, ParseResult } from './parse-result.ts';
export { parseRequestHead, type RequestHead } from './request-head.ts';
export { parseResponseHead, responseBodyKind, type ResponseHead } from './response-head.ts';
