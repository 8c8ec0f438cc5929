/**
 * `GET /api/logs/:pool?lines=100&follow=1`: the last lines of a pool's log file, then (with
 * `follow`) new lines as the workers write them, as `text/plain` — `tail -n N -f` over HTTP.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { followLog } from '../events/read-log.ts';
import { AdminHttpError } from './http-reply.ts';

/** Lines sent when the request gives no `lines`. */
export const DEFAULT_LOG_LINES = 100;
/** The most lines of backlog one request may ask for. */
export const MAX_LOG_LINES = 100_000;

/** Reads `lines` and `follow` from the query; bad values are a 400. */
export function readLogOptions(params: URLSearchParams): { lines: number; follow: boolean } {
  const raw = params.get('lines');
  let lines = DEFAULT_LOG_LINES;
  if (raw !== null && raw !== '') {
    if (!/^\d+$/.test(raw)) throw new AdminHttpError(400, 'BadRequest', `lines must be a whole number, not ${JSON.stringify(raw)}`);
    lines = Math.min(Number(raw), MAX_LOG_LINES);
  }
  const f = params.get('follow');
  const follow = f !== null && f !== '0' && f !== 'false' && f !== 'no';
  return { lines, follow };
}

/** Streams `file` to `res` until the backlog is out (or, following, until the client leaves). */
export async function streamLog(res: ServerResponse, file: string, options: { lines: number; follow: boolean }): Promise<void> {
  const aborter = new AbortController();
  res.on('close', () => aborter.abort());
  res.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  try {
    for await (const line of followLog(file, { lines: options.lines, follow: options.follow, signal: aborter.signal })) {
      if (res.destroyed) break;
      if (!res.write(line.endsWith('\n') ? line : line + '\n')) {
        // Respect backpressure (a slow `paddock logs` over TCP): wait, or stop if the client left.
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
  } catch (err) {
    if (!aborter.signal.aborted) throw err;
  } finally {
    aborter.abort();
  }
  if (!res.destroyed) res.end();
}
