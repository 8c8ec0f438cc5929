/**
 * `GET /api/events/stream`: new events as they are written, for `paddock events --follow` and the
 * dashboard. Two framings of the same stream:
 * - server-sent events (`Accept: text/event-stream`, WHATWG HTML §9.2) with `id:` = the event's
 *   `seq`, so a browser's EventSource resumes after a reconnect through `Last-Event-ID`;
 * - NDJSON otherwise: one event per line; an empty line is a keep-alive and carries nothing.
 * With `after=SEQ` (or `Last-Event-ID`) the events written since that one are sent first, with no
 * gap and no duplicate between them and the live ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventLog, PaddockEvent } from '../events/event-log.ts';
import { MAX_EVENT_LIMIT, type EventFilter } from './event-query.ts';

/** Time between keep-alives, so proxies and idle-connection timers leave the stream open. */
export const STREAM_KEEPALIVE_MS = 15_000;
/** A client that lets this much output pile up unread is cut off rather than grow the host's heap. */
export const STREAM_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

function wantsSse(req: IncomingMessage, params: URLSearchParams): boolean {
  return params.get('format') === 'sse' || (req.headers.accept ?? '').includes('text/event-stream');
}

function matches(e: PaddockEvent, filter: EventFilter): boolean {
  return (filter.pool === undefined || e.pool === filter.pool) && (filter.id === undefined || e.id === filter.id);
}

/** Streams events matching `filter` until the client goes away or the server closes. */
export function streamEvents(
  req: IncomingMessage,
  res: ServerResponse,
  events: EventLog,
  filter: EventFilter,
  params: URLSearchParams,
): void {
  const sse = wantsSse(req, params);
  const lastEventId = req.headers['last-event-id'];
  let afterSeq = filter.afterSeq;
  if (afterSeq === undefined && typeof lastEventId === 'string' && /^\d+$/.test(lastEventId)) afterSeq = Number(lastEventId);

  res.writeHead(200, {
    'content-type': sse ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  let lastSent = afterSeq ?? -1;
  let pending: PaddockEvent[] | null = [];
  const write = (e: PaddockEvent): void => {
    // seq 0 marks an event the database could not store: it cannot repeat, so it always goes out.
    if ((e.seq !== 0 && e.seq <= lastSent) || !matches(e, filter) || res.destroyed) return;
    if (e.seq > lastSent) lastSent = e.seq;
    res.write(sse ? `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n` : JSON.stringify(e) + '\n');
    if (res.writableLength > STREAM_MAX_BUFFERED_BYTES) res.destroy();
  };

  // Subscribe before reading the backlog: an event written in between is held, then sent once.
  const unsubscribe = events.on((e) => {
    try {
      if (pending) pending.push(e);
      else write(e);
    } catch {
      // A listener must not throw into the event log's writer; this client is simply dropped.
      res.destroy();
    }
  });
  const keepAlive = setInterval(() => {
    if (!res.destroyed) res.write(sse ? ': keep-alive\n\n' : '\n');
  }, STREAM_KEEPALIVE_MS);
  keepAlive.unref();
  res.on('close', () => {
    clearInterval(keepAlive);
    unsubscribe();
  });

  try {
    if (afterSeq !== undefined) {
      const backlog = events.query({ pool: filter.pool, id: filter.id, afterSeq, limit: MAX_EVENT_LIMIT });
      for (const e of backlog) write(e);
    }
  } finally {
    const held = pending;
    pending = null;
    for (const e of held) write(e);
  }
}
