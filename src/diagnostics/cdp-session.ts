/**
 * A minimal Chrome DevTools Protocol client over Node's global WebSocket: numbered commands with
 * a time limit each, and a wait for an event. Just what a hang capture needs from a worker's
 * inspector; nothing here ever throws past `close()`.
 */
import { PaddockError } from '../paddock-error.ts';

/** A CDP error with a stable code. */
export class CdpError extends PaddockError<'CdpConnectFailed' | 'CdpTimeout' | 'CdpClosed' | 'CdpCommandFailed'> {}

interface Pending {
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

type CdpEvent = { readonly method: string; readonly params: Record<string, unknown> };

/** One DevTools session with one target. */
export class CdpSession {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #events: CdpEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #seq = 0;
  #closed = false;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (m: MessageEvent) => this.#onMessage(String(m.data)));
    ws.addEventListener('close', () => this.#onClose());
    ws.addEventListener('error', () => this.#onClose());
  }

  /** Connects to a `ws://127.0.0.1:PORT/UUID` debugger URL within `timeoutMs`. */
  static connect(url: string, timeoutMs: number): Promise<CdpSession> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (err) {
        reject(new CdpError('CdpConnectFailed', `cannot connect to ${url}: ${(err as Error).message}`));
        return;
      }
      const timer = setTimeout(() => {
        ws.close();
        reject(new CdpError('CdpTimeout', `the inspector at ${url} did not accept a connection within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new CdpSession(ws));
      }, { once: true });
      ws.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new CdpError('CdpConnectFailed', `cannot connect to ${url}`));
      }, { once: true });
    });
  }

  /** Whether the target closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Events received so far. */
  get events(): readonly CdpEvent[] {
    return this.#events;
  }

  /** Sends a command and waits for its result at most `timeoutMs`. */
  send(method: string, params: Record<string, unknown> = {}, timeoutMs = 1000): Promise<Record<string, unknown>> {
    if (this.#closed) return Promise.reject(new CdpError('CdpClosed', `the inspector closed before ${method}`));
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new CdpError('CdpTimeout', `${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Sends a command without waiting for an answer (one that closes the session, for instance). */
  post(method: string, params: Record<string, unknown> = {}): void {
    if (!this.#closed) this.#ws.send(JSON.stringify({ id: ++this.#seq, method, params }));
  }

  /** Waits for the first event named `method` (already received or coming) at most `timeoutMs`. */
  waitFor(method: string, timeoutMs: number): Promise<CdpEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.#events.find((x) => x.method === method);
        if (e !== undefined) {
          finish();
          resolve(e);
          return true;
        }
        if (this.#closed) {
          finish();
          reject(new CdpError('CdpClosed', `the inspector closed before ${method}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new CdpError('CdpTimeout', `no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (!check()) this.#waiters.add(waiter);
    });
  }

  /** Waits until the target closes the connection, at most `timeoutMs`; true if it did. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.#closed;
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#ws.close();
    } catch {
      // already closed
    }
    this.#onClose();
  }

  #onMessage(text: string): void {
    let msg: { id?: number; result?: Record<string, unknown>; error?: { message?: string }; method?: string; params?: Record<string, unknown> };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.id === 'number') {
      const p = this.#pending.get(msg.id);
      if (p === undefined) return;
      this.#pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new CdpError('CdpCommandFailed', msg.error.message ?? 'command failed'));
      else p.resolve(msg.result ?? {});
      return;
    }
    if (typeof msg.method === 'string') {
      this.#events.push({ method: msg.method, params: msg.params ?? {} });
      for (const w of [...this.#waiters]) w();
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new CdpError('CdpClosed', 'the inspector closed the connection'));
      this.#pending.delete(id);
    }
    for (const w of [...this.#waiters]) w();
  }
}
