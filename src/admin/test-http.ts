/** HTTP helpers for the admin API's tests: plain requests and streaming reads, over a socket or TCP. */
import { request, type IncomingMessage } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
  readonly json: any;
}

export type Target = { socketPath: string } | { host: string; port: number };

/** One request; resolves with the status, headers, body text and (when it parses) JSON. */
export function call(target: Target, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a streaming GET and collects its body as it arrives. */
export function openStream(target: Target, path: string, headers: Record<string, string> = {}) {
  let text = '';
  let res: IncomingMessage | null = null;
  const waiters: (() => void)[] = [];
  let responded: () => void = () => {};
  const headersIn = new Promise<void>((resolve) => { responded = resolve; });
  const req = request({ ...target, method: 'GET', path, headers }, (r) => {
    res = r;
    responded();
    r.setEncoding('utf8');
    r.on('data', (c: string) => { text += c; for (const w of waiters.splice(0)) w(); });
    r.on('error', () => {});
  });
  req.on('error', () => {});
  req.end();
  return {
    get text() { return text; },
    get res() { return res; },
    /** Resolves once the response head has arrived. */
    headers: headersIn,
    /** Resolves once the body so far satisfies `test`. */
    until(test: (text: string) => boolean): Promise<string> {
      return new Promise((resolve) => {
        const check = (): void => (test(text) ? resolve(text) : void waiters.push(check));
        check();
      });
    },
    close() { req.destroy(); },
  };
}
