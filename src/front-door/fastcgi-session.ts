/**
 * One request on one FastCGI connection, as bytes: what the front door writes (FCGI_BEGIN_REQUEST
 * in the responder role with FCGI_KEEP_CONN, the CGI variables as FCGI_PARAMS, the body as
 * FCGI_STDIN) and what it makes of the answer (FCGI_STDOUT through a CgiResponse to the client,
 * FCGI_STDERR to the pool's log, FCGI_END_REQUEST as the end). No sockets here: the exchange
 * moves the bytes and owns the backpressure.
 *
 * Paddock never multiplexes (FCGI_MPXS_CONNS is 0 for php-cgi, and a connection carries one request
 * at a time, as one carries one HTTP exchange), so every request is request id 1.
 */
import { FCGI_KEEP_CONN, ProtocolStatus, RecordType, Role, encodeBeginRequest, encodeHeader, encodeParams, streamRecords } from '../fastcgi/records.ts';
import { RecordReader } from '../fastcgi/record-reader.ts';
import { CgiResponse, type CgiHeadErrorCode, type ResponseRequestFacts } from './cgi-response.ts';

/** The request id of every request (see above). */
export const REQUEST_ID = 1;

/** Why a FastCGI answer cannot be relayed; `framing` is a broken record stream, the rest a bad CGI head. */
export type SessionErrorCode = 'FRAMING' | 'NOT_COMPLETE' | CgiHeadErrorCode;

/** What reading one chunk from the worker came to. `out` goes to the client, in order, either way. */
export type ReadOutcome =
  | { readonly kind: 'more'; readonly out: Buffer[] }
  | { readonly kind: 'ended'; readonly out: Buffer[]; readonly appStatus: number }
  | { readonly kind: 'error'; readonly out: Buffer[]; readonly code: SessionErrorCode; readonly message: string };

const EMPTY_STDIN = encodeHeader(RecordType.Stdin, REQUEST_ID, 0);

/** One request's records, both ways. */
export class FastCgiSession {
  readonly response: CgiResponse;
  readonly #reader: RecordReader;
  readonly #onStderr: (data: Buffer) => void;
  #ended = false;
  #appStatus = 0;
  #notComplete: number | null = null;
  /** A record for another request id: the application lost track of which request this is. */
  #strayId: number | null = null;
  #headError: { code: CgiHeadErrorCode; message: string } | null = null;

  constructor(req: ResponseRequestFacts, onStderr: (data: Buffer) => void) {
    this.response = new CgiResponse(req);
    this.#onStderr = onStderr;
    this.#reader = new RecordReader({
      onStream: (type, id, data) => {
        if (id !== REQUEST_ID) {
          this.#strayId = id;
          return;
        }
        if (type === RecordType.Stderr) {
          this.#onStderr(data);
          return;
        }
        if (this.#headError !== null) return;
        const error = this.response.push(data);
        if (error !== null) this.#headError = error;
      },
      onStreamEnd: () => {},
      onEndRequest: (id, appStatus, protocolStatus) => {
        if (id !== REQUEST_ID) {
          this.#strayId = id;
          return;
        }
        this.#ended = true;
        this.#appStatus = appStatus;
        if (protocolStatus !== ProtocolStatus.RequestComplete) this.#notComplete = protocolStatus;
      },
      // A management record in the middle of a request answers nothing the front door asked.
      onManagement: () => {},
    });
  }

  /**
   * The records that start the request: FCGI_BEGIN_REQUEST, the variables, and, for a request
   * without a body, the empty FCGI_STDIN that says so.
   */
  begin(params: Iterable<readonly [string, string]>, hasBody: boolean): Buffer {
    const head = Buffer.concat([encodeBeginRequest(REQUEST_ID, Role.Responder, FCGI_KEEP_CONN), encodeParams(REQUEST_ID, params)]);
    return hasBody ? head : Buffer.concat([head, EMPTY_STDIN]);
  }

  /** Body bytes as FCGI_STDIN records (headers and slices of `data`, no copy). */
  stdin(data: Buffer): Buffer[] {
    return data.length === 0 ? [] : streamRecords(RecordType.Stdin, REQUEST_ID, data);
  }

  /** The empty FCGI_STDIN that ends the body. */
  endStdin(): Buffer {
    return EMPTY_STDIN;
  }

  /**
   * Takes one chunk from the worker. php-cgi ends a request with FCGI_END_REQUEST without the
   * empty FCGI_STDOUT record §3.3 asks for, so the end of the request ends the streams too.
   */
  read(chunk: Buffer): ReadOutcome {
    const fed = this.#reader.feed(chunk);
    if (fed.kind === 'error') return { kind: 'error', out: [], code: 'FRAMING', message: fed.error.message };
    if (this.#strayId !== null) return { kind: 'error', out: [], code: 'FRAMING', message: `a record for request ${this.#strayId}, which was never sent` };
    if (this.#headError !== null) return { kind: 'error', out: [], ...this.#headError };
    if (this.#notComplete !== null) {
      return { kind: 'error', out: [], code: 'NOT_COMPLETE', message: `the application ended the request with protocol status ${this.#notComplete}, not FCGI_REQUEST_COMPLETE` };
    }
    const ended = fed.kind === 'ended' && this.#ended;
    const taken = this.response.take(ended);
    if (!Array.isArray(taken)) return { kind: 'error', out: [], code: taken.code, message: taken.message };
    return ended ? { kind: 'ended', out: taken, appStatus: this.#appStatus } : { kind: 'more', out: taken };
  }
}
