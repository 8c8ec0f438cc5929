/**
 * Test support: spawns a worker the way the host does (stdio `['ignore','pipe','pipe','pipe']`,
 * control channel on fd 3) and plays the host's end of the channel. Used by the SDK's tests.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the Node SDK's `--import` entry. */
export const REGISTER_PATH = fileURLToPath(new URL('./node/register.mjs', import.meta.url));
/** Absolute path of the shared test fixtures folder. */
export const FIXTURES_DIR = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

export interface ChannelMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface ExitFacts {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A spawned worker and the host's end of its control channel. */
export interface TestWorker {
  readonly child: ChildProcess;
  readonly channel: net.Socket;
  /** Every message received so far, in order. */
  readonly received: readonly ChannelMessage[];
  /** Resolves with the first message (already received or future) that matches. */
  waitFor(predicate: (m: ChannelMessage) => boolean, timeoutMs?: number): Promise<ChannelMessage>;
  send(message: ChannelMessage): void;
  readonly exited: Promise<ExitFacts>;
  /** Everything the worker wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Kills the worker if still running and removes its temp folder. */
  dispose(): Promise<void>;
}

export interface SpawnOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** Extra environment; PORT, PADDOCK_POOL, PADDOCK_WORKER and PADDOCK_CONTROL_FD are set. */
  readonly env?: Readonly<Record<string, string>>;
  /** PORT value; default a fresh socket path in a temp folder. */
  readonly port?: string;
  /** Pass fd 3 (default true); false imitates a process that inherited the env but not the fd. */
  readonly channel?: boolean;
}

/** A fresh temp folder for sockets. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-sdk-'));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Spawns a worker with the host's stdio layout and environment. */
export function spawnWorker(options: SpawnOptions): TestWorker & { readonly port: string } {
  const dir = tempDir();
  const port = options.port ?? path.join(dir, 'worker.sock');
  const child = spawn(options.command, [...options.args], {
    stdio: options.channel === false ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: port,
      PADDOCK_POOL: 'test',
      PADDOCK_WORKER: 'test-1',
      PADDOCK_CONTROL_FD: '3',
      ...options.env,
    },
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exited = new Promise<ExitFacts>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });

  const channel = (child.stdio[3] ?? new net.Socket()) as net.Socket;
  const received: ChannelMessage[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  channel.setEncoding('utf8');
  channel.on('error', () => {});
  channel.on('data', (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() !== '') received.push(JSON.parse(line) as ChannelMessage);
      nl = buffer.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });

  const waitFor = (predicate: (m: ChannelMessage) => boolean, timeoutMs = 10_000): Promise<ChannelMessage> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = received.find(predicate);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(received)}; stderr: ${err}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(onData);
      };
      const onData = (): void => { check(); };
      if (!check()) waiters.add(onData);
    });

  return {
    child,
    channel,
    port,
    received,
    waitFor,
    send: (message) => { channel.write(`${JSON.stringify(message)}\n`); },
    exited,
    stdout: () => out,
    stderr: () => err,
    dispose: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      channel.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly reusedSocket: boolean;
}

/** One HTTP/1.1 GET to a worker's PORT (socket path or TCP port), body as text. */
export function httpGet(port: string, urlPath: string, agent?: http.Agent): Promise<HttpResult> {
  const target = Number.isNaN(Number(port)) ? { socketPath: port } : { host: '127.0.0.1', port: Number(port) };
  return new Promise((resolve, reject) => {
    const req = http.get({ ...target, path: urlPath, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => { body += s; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
