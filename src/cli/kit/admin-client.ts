/**
 * The CLI's side of the admin API: requests over the host's unix socket, or over TCP with the
 * bearer token. Failures become `CliError`s that carry the process exit code.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PaddockError } from '../../paddock-error.ts';

/** Exit codes of `paddock` (docs/admin.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** A failure to report on stderr as `paddock: <message>` and exit with `exitCode`. */
export class CliError extends PaddockError<'PADDOCK_CLI'> {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super('PADDOCK_CLI', message);
    this.exitCode = exitCode;
  }
}

export type AdminTarget =
  | { readonly kind: 'socket'; readonly socket: string }
  | { readonly kind: 'tcp'; readonly url: URL; readonly token: string | null };

/** Connection errors that mean "nobody is there", as opposed to a host that answered badly. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'ENOTDIR', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

/** Speaks to one host's admin API. */
export class AdminClient {
  readonly target: AdminTarget;
  constructor(target: AdminTarget) {
    this.target = target;
  }

  /** The socket path or URL, for messages. */
  describe(): string {
    return this.target.kind === 'socket' ? this.target.socket : this.target.url.origin;
  }

  /** Sends a request and resolves with the response head; the body is left to read. */
  request(method: string, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    const t = this.target;
    const options: RequestOptions = { method, path, headers: { accept: 'application/json', ...headers } };
    let send = httpRequest;
    if (t.kind === 'socket') {
      options.socketPath = t.socket;
    } else {
      options.protocol = t.url.protocol;
      options.hostname = t.url.hostname.replace(/^\[|\]$/g, '');
      options.port = t.url.port || (t.url.protocol === 'https:' ? 443 : 80);
      if (t.token) (options.headers as Record<string, string>).authorization = `Bearer ${t.token}`;
      if (t.url.protocol === 'https:') send = httpsRequest;
    }
    return new Promise((resolve, reject) => {
      const req = send(options, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.#connectionError(err)));
      req.end();
    });
  }

  /** Sends a request and reads a JSON body, whatever the status. */
  async call<T = unknown>(method: string, path: string): Promise<{ status: number; body: T }> {
    const res = await this.request(method, path);
    const text = await readBody(res);
    let body: unknown;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError(EXIT.failed, `the admin API answered ${res.statusCode} with a body that is not JSON`);
    }
    return { status: res.statusCode ?? 0, body: body as T };
  }

  /** Sends a request and returns its JSON body; any status but 2xx is a CliError. */
  async json<T = unknown>(method: string, path: string): Promise<T> {
    const { status, body } = await this.call<T>(method, path);
    if (status < 200 || status > 299) throw apiError(status, body);
    return body;
  }

  /** Reads a streaming response line by line (NDJSON or text); ends when the host ends it. */
  async *lines(path: string, accept = 'application/x-ndjson'): AsyncGenerator<string> {
    const res = await this.request('GET', path, { accept });
    if ((res.statusCode ?? 0) >= 300) {
      const text = await readBody(res);
      let body: unknown = null;
      try { body = JSON.parse(text); } catch { /* reported by status */ }
      throw apiError(res.statusCode ?? 0, body);
    }
    res.setEncoding('utf8');
    let rest = '';
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        rest += chunk;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          yield rest.slice(0, nl);
          rest = rest.slice(nl + 1);
        }
      }
    } catch {
      throw new CliError(EXIT.unreachable, `lost the connection to the host at ${this.describe()}`);
    }
    if (rest !== '') yield rest;
  }

  #connectionError(err: NodeJS.ErrnoException): CliError {
    const where = this.describe();
    if (err.code && UNREACHABLE.has(err.code)) {
      return new CliError(EXIT.unreachable, `no host is listening on ${where} — is \`paddock run\` running?`);
    }
    if (err.code === 'EACCES') {
      return new CliError(EXIT.failed, `permission denied on ${where}: run as the user of the host (the socket is mode 0600)`);
    }
    return new CliError(EXIT.unreachable, `cannot reach the host at ${where}: ${err.message}`);
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** The CliError for a non-2xx answer: the API's own message when it gave one. */
export function apiError(status: number, body: unknown): CliError {
  const message = (body as { error?: unknown } | null)?.error;
  if (status === 401) return new CliError(EXIT.failed, 'the admin API refused the request: give the token with --token or $PADDOCK_TOKEN');
  return new CliError(EXIT.failed, typeof message === 'string' ? message : `the admin API answered ${status}`);
}
