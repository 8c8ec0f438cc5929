/**
 * Asking a FastCGI worker whether it is alive, on a connection of its own: FCGI_GET_VALUES (§4.1),
 * which php-cgi answers from its accept loop, or a GET of a configured ping script. The same probe
 * tells that a starting worker is ready (it answers, so it runs its accept loop) and that a ready
 * one is not hung (it answers within pingResponseTime).
 *
 * A php-cgi serves one connection at a time, and keeps reading a kept one (FCGI_KEEP_CONN) until
 * the Web server closes it. So a probe waits its turn behind the request in hand, and whoever holds
 * a worker's idle connection must close it for the probe to be answered (see fastcgi-link.ts).
 * A script stuck in a loop never lets the probe in: that is how the ping sees it.
 */
import { connect, type Socket } from 'node:net';
import { parseRequestHead } from '../http-parser.ts';
import { MANAGEMENT_VARIABLES, RecordType, decodeNameValuePairs, encodeGetValues } from './records.ts';
import { RecordReader } from './record-reader.ts';
import { FastCgiSession } from './fastcgi-session.ts';
import { buildCgiParams } from './cgi-params.ts';

/** Where a worker listens (the shape of the supervisor's WorkerAddress). */
export type FastCgiAddress = { readonly path: string } | { readonly port: number };

/** What a probe came to. */
export type ProbeResult =
  | { readonly kind: 'answered'; readonly ms: number; readonly values: ReadonlyMap<string, string>; readonly status: number | null }
  | { readonly kind: 'failed'; readonly ms: number; readonly reason: string };

function open(address: FastCgiAddress): Socket {
  return 'path' in address ? connect(address.path) : connect(address.port, '127.0.0.1');
}

/** Runs one probe: writes `request`, feeds the answer to `read` until it says done, within `timeoutMs`. */
function probe(address: FastCgiAddress, request: Buffer, timeoutMs: number, read: (chunk: Buffer) => ProbeResult | Error | null): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = open(address);
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const failed = (reason: string): void => done({ kind: 'failed', ms: Date.now() - started, reason });
    const timer = setTimeout(() => failed(`no answer within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    socket.on('data', (chunk: Buffer) => {
      const r = read(chunk);
      if (r instanceof Error) failed(r.message);
      else if (r !== null) done(r);
    });
    socket.on('error', (err) => failed(err.message));
    socket.on('close', () => failed('the worker closed the connection without answering'));
    socket.write(request);
  });
}

/** FCGI_GET_VALUES for the §4.1 variables; answered means the worker's accept loop runs. */
export function getValues(address: FastCgiAddress, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  let answer: ProbeResult | Error | null = null;
  const reader = new RecordReader({
    onStream() { answer = new Error('the worker sent stream data to a management request'); },
    onStreamEnd() { answer = new Error('the worker sent stream data to a management request'); },
    onEndRequest() { answer = new Error('the worker ended a request it was never sent'); },
    onManagement(type, _id, content) {
      if (type === RecordType.UnknownType) {
        // §4.2: the application does not know FCGI_GET_VALUES, yet it answered: it is alive.
        answer = { kind: 'answered', ms: Date.now() - started, values: new Map(), status: null };
        return;
      }
      try {
        answer = { kind: 'answered', ms: Date.now() - started, values: new Map(decodeNameValuePairs(content)), status: null };
      } catch (err) {
        answer = err as Error;
      }
    },
  });
  return probe(address, encodeGetValues([...MANAGEMENT_VARIABLES]), timeoutMs, (chunk) => {
    const fed = reader.feed(chunk);
    if (fed.kind === 'error') return fed.error;
    return answer;
  });
}

/**
 * A GET of `path` as a FastCGI request (the pingPath of a FastCGI pool); answered with a 2xx means
 * healthy. Any other status is an answer too: the caller decides what it counts as.
 */
export function getScript(address: FastCgiAddress, path: string, documentRoot: string, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  const raw = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: paddock-ping\r\n\r\n`, 'latin1');
  const parsed = parseRequestHead(raw);
  if (parsed.kind !== 'ok') return Promise.resolve({ kind: 'failed', ms: 0, reason: `pingPath ${path} is not a request target` });
  const cgi = buildCgiParams(parsed.head, raw, { remoteAddress: '127.0.0.1', remotePort: 0, serverAddress: '127.0.0.1', serverPort: 0, https: false }, documentRoot);
  if (cgi.kind !== 'ok') return Promise.resolve({ kind: 'failed', ms: 0, reason: `pingPath ${path}: ${cgi.message}` });
  const session = new FastCgiSession({ method: 'GET', versionMinor: 1, keepAlive: false }, () => {});
  return probe(address, session.begin(cgi.params, false), timeoutMs, (chunk) => {
    const r = session.read(chunk);
    if (r.kind === 'error') return new Error(`pingPath ${path}: ${r.message}`);
    if (r.kind === 'more') return null;
    return { kind: 'answered', ms: Date.now() - started, values: new Map(), status: session.response.status };
  });
}
