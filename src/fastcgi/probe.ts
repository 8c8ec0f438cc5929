/**
 * Asking a FastCGI worker whether it is alive, on a connection of its own: FCGI_GET_VALUES (§4.1),
 * which php-cgi answers from its accept loop, or a GET of a configured ping script. The same probe
 * tells that a starting worker is ready (it answers, so it runs its accept loop) and that a ready
 * one is not hung (it answers within pingResponseTime).
 *
 * A php-cgi serves one connection at a time, and keeps reading a kept one (FCGI_KEEP_CONN) until
 * the Web server closes it. So a probe waits its turn behind the request in hand, and whoever holds
 * a worker's idle connection must close it for the probe to be answered. A script stuck in a loop
 * never lets the probe in: that is how the ping sees it.
 */
import { connectTo, type FastCgiAddress } from './address.ts';
import { FCGI_KEEP_CONN, MANAGEMENT_VARIABLES, RecordType, Role, decodeNameValuePairs, encodeBeginRequest, encodeGetValues, encodeHeader, encodeParams } from './records.ts';
import { RecordReader } from './record-reader.ts';

/** What a probe came to. `status` is the ping script's HTTP status (null for FCGI_GET_VALUES). */
export type ProbeResult =
  | { readonly kind: 'answered'; readonly ms: number; readonly values: ReadonlyMap<string, string>; readonly status: number | null }
  | { readonly kind: 'failed'; readonly ms: number; readonly reason: string };

/** Runs one probe: writes `request`, feeds the answer to `read` until it says done, within `timeoutMs`. */
function probe(address: FastCgiAddress, request: Buffer, timeoutMs: number, read: (chunk: Buffer, started: number) => ProbeResult | Error | null): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connectTo(address);
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
      const r = read(chunk, started);
      if (r instanceof Error) failed(r.message);
      else if (r !== null) done(r);
    });
    socket.on('error', (err) => failed(err.message));
    socket.on('close', () => failed('the worker closed the connection without answering'));
    socket.write(request);
  });
}

const streamFromManagement = (): Error => new Error('the worker sent request records to a management request');

/** FCGI_GET_VALUES for the §4.1 variables; answered means the worker's accept loop runs. */
export function getValues(address: FastCgiAddress, timeoutMs: number): Promise<ProbeResult> {
  let answer: ProbeResult | Error | null = null;
  let started = 0;
  const reader = new RecordReader({
    onStream() { answer = streamFromManagement(); },
    onStreamEnd() { answer = streamFromManagement(); },
    onEndRequest() { answer = streamFromManagement(); },
    onManagement(type, _id, content) {
      const ms = Date.now() - started;
      // §4.2: an application that does not know FCGI_GET_VALUES says so; it answered, so it is alive.
      if (type === RecordType.UnknownType) {
        answer = { kind: 'answered', ms, values: new Map(), status: null };
        return;
      }
      try {
        answer = { kind: 'answered', ms, values: new Map(decodeNameValuePairs(content)), status: null };
      } catch (err) {
        answer = err as Error;
      }
    },
  });
  return probe(address, encodeGetValues([...MANAGEMENT_VARIABLES]), timeoutMs, (chunk, t0) => {
    started = t0;
    const fed = reader.feed(chunk);
    return fed.kind === 'error' ? fed.error : answer;
  });
}

/** The status a CGI head gives (RFC 3875 §6.3): its Status line, 302 for a Location alone, else 200. */
export function cgiStatus(head: string): number | null {
  let location = false;
  for (const line of head.split(/\r?\n/)) {
    const m = /^status:[ \t]*(\d{3})\b/i.exec(line);
    if (m) return Number(m[1]);
    if (/^location:/i.test(line)) location = true;
  }
  return location ? 302 : 200;
}

/**
 * A GET of the ping script `path` (with its query string) under `documentRoot`, as a FastCGI
 * request with the CGI variables a script needs; answered when FCGI_END_REQUEST comes, with the
 * script's status. The caller decides what a status counts as.
 */
export function getScript(address: FastCgiAddress, path: string, documentRoot: string, timeoutMs: number): Promise<ProbeResult> {
  const q = path.indexOf('?');
  const script = q === -1 ? path : path.slice(0, q);
  const root = documentRoot.endsWith('/') ? documentRoot.slice(0, -1) : documentRoot;
  const params: Array<[string, string]> = [
    ['GATEWAY_INTERFACE', 'CGI/1.1'], ['SERVER_SOFTWARE', 'paddock'], ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['REQUEST_METHOD', 'GET'], ['REQUEST_URI', path], ['QUERY_STRING', q === -1 ? '' : path.slice(q + 1)],
    ['DOCUMENT_ROOT', root], ['SCRIPT_NAME', script], ['SCRIPT_FILENAME', root + script],
    ['REMOTE_ADDR', '127.0.0.1'], ['SERVER_NAME', 'localhost'], ['SERVER_ADDR', '127.0.0.1'], ['SERVER_PORT', '0'],
    ['REDIRECT_STATUS', '200'], ['HTTP_HOST', 'localhost'], ['HTTP_USER_AGENT', 'paddock-ping'],
  ];
  const request = Buffer.concat([
    encodeBeginRequest(1, Role.Responder, FCGI_KEEP_CONN),
    encodeParams(1, params),
    encodeHeader(RecordType.Stdin, 1, 0),
  ]);
  let head = '';
  let status: number | null = null;
  const reader = new RecordReader({
    onStream(type, _id, data) {
      if (type !== RecordType.Stdout || status !== null || head.length > 65536) return;
      head += data.toString('latin1');
      const end = head.search(/\r?\n\r?\n/);
      if (end !== -1) status = cgiStatus(head.slice(0, end));
    },
    onStreamEnd() {},
    onEndRequest() {},
    onManagement() {},
  });
  return probe(address, request, timeoutMs, (chunk, started) => {
    const fed = reader.feed(chunk);
    if (fed.kind === 'error') return fed.error;
    if (fed.kind === 'more') return null;
    if (status === null) return new Error(`pingPath ${path}: the answer had no CGI head`);
    return { kind: 'answered', ms: Date.now() - started, values: new Map(), status };
  });
}
