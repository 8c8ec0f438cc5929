/**
 * The front door bounds itself: the answers it makes itself (404 for no site, 503 for a stopped
 * pool) wait for the client to read them, so a client that pipelines a flood and never reads holds
 * a bounded share of the host; a flood of refusals costs no stack; and the other pool serves every
 * request meanwhile. The host runs as its own process, so its RSS is its own.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { get, helloPool, startTestHost, waitFor, type TestHost } from './helpers/test-host.ts';
import { writeConfigDir } from './helpers/processes.ts';
import { startHostProcess, type HostProcess } from './helpers/host-process.ts';
import type { FrontDoor } from '../src/front-door/front-door.ts';

/** Requests per flood (the figure). */
const FLOOD = 20_000;
/**
 * Unbounded, such a flood took the host from 80 to 610 MB. Bounded, it holds the host's own ~100 MB,
 * its young generation (2 × 16 MB, host-flags.ts) and a connection's capped answers. Each
 * front-door thread beyond the first is a V8 heap of its own with its own young generation
 * (frontDoor.threads defaults to the cores, at most 8; the suite runs once more with
 * PADDOCK_FRONT_DOOR_THREADS=1): 64 MB more for each.
 */
const THREADS = Number(process.env.PADDOCK_FRONT_DOOR_THREADS) || Math.min(8, availableParallelism());
const RSS_BOUND = (200 + 64 * (THREADS - 1)) * 1024 * 1024;

let host: HostProcess | null = null;
let inProcess: TestHost | null = null;
let dir = '';
const sockets: Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  await host?.stop();
  await inProcess?.stop();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** `n` pipelined requests to `path` on `hostName`, GET and HEAD in turn, the last one asking to close. */
function flood(n: number, hostName: string, path: string): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const method = i % 2 === 0 ? 'GET' : 'HEAD';
    parts.push(`${method} ${path}/${i} HTTP/1.1\r\nHost: ${hostName}\r\n${i === n - 1 ? 'Connection: close\r\n' : ''}\r\n`);
  }
  return Buffer.from(parts.join(''), 'latin1');
}

/**
 * Reads HTTP/1.1 responses in sequence from `bytes`, knowing which were answers to HEAD (no body):
 * a response out of order breaks the framing, so reading all of them proves the order.
 */
function readResponses(bytes: Buffer, n: number): Array<{ status: number; close: boolean; retryAfter: boolean }> {
  const out: Array<{ status: number; close: boolean; retryAfter: boolean }> = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = bytes.indexOf('\r\n\r\n', at, 'latin1');
    assert.ok(end > 0, `response ${i} is missing (${out.length} read)`);
    const head = bytes.toString('latin1', at, end);
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    assert.ok(status, `response ${i} does not start with a status line: ${JSON.stringify(head.slice(0, 80))}`);
    const length = Number(/\r\nContent-Length: (\d+)/i.exec(head)?.[1] ?? 0);
    at = end + 4 + (i % 2 === 0 ? length : 0);
    out.push({ status: Number(status[1]), close: /\r\nConnection: close/i.test(head), retryAfter: /\r\nRetry-After: /i.test(head) });
  }
  assert.equal(at, bytes.length, 'nothing follows the last response');
  return out;
}

/** Answered requests in the access log so far (W3C lines, directives left out). */
function accessLines(): number {
  try {
    return readFileSync(join(dir, 'logs', 'access.log'), 'latin1').split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  } catch {
    return 0;
  }
}

test('a pipelined flood of 20,000 requests to no site and to a stopped pool, never read, holds the host under 200 MB (64 MB more per extra front-door thread) and is answered in order once read', async (t) => {
  const written = writeConfigDir({
    sites: [{ name: 'known', hosts: ['known.example'], apps: [{ path: '/', pool: 'other' }, { path: '/off', pool: 'off' }] }],
    pools: { other: helloPool(), off: helloPool({ autoStart: false }) },
    logs: { maxBytes: '64MB' },
  }, 'pdk-flood-');
  dir = written.dir;
  host = await startHostProcess(written.file);
  const h = host;
  assert.equal((await get(`${h.url}/`, { headers: { host: 'known.example' } })).status, 200);
  const before = h.rssBytes();

  const floods = [
    { what: 'no site', bytes: flood(FLOOD, 'nowhere.example', '/x'), status: 404 },
    { what: 'a stopped pool', bytes: flood(FLOOD, 'known.example', '/off'), status: 503 },
  ];
  const clients = await Promise.all(floods.map((f) => new Promise<{ socket: Socket; received: Buffer[]; ended: Promise<void> }>((resolve, reject) => {
    const socket = connect(h.port, '127.0.0.1', () => {
      socket.write(f.bytes);
      resolve({ socket, received, ended });
    });
    sockets.push(socket);
    const received: Buffer[] = [];
    const ended = new Promise<void>((done) => socket.once('end', () => done()));
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', reject);
    // Never read: no 'data' flows until the test resumes the socket.
    socket.pause();
  })));

  // Once the host has read the floods (the socket buffers hold the rest of their answers)…
  await waitFor(() => accessLines() >= 2 * FLOOD + 1 || null, 30_000, 'the floods to be read');
  // Meanwhile the other pool serves every request, and the host stays small.
  for (let i = 0; i < 50; i++) {
    const r = await get(`${h.url}/`, { headers: { host: 'known.example' } });
    assert.equal(r.status, 200, `request ${i} to the other pool: ${r.status} ${r.body}`);
  }
  const during = h.rssBytes();
  t.diagnostic(`host RSS before ${(before / 1048576).toFixed(1)} MB, during the floods ${(during / 1048576).toFixed(1)} MB`);
  assert.ok(during < RSS_BOUND, `host RSS ${(during / 1048576).toFixed(1)} MB`);

  // Read now: every request gets its answer, in order, and the connection closes after the last.
  for (const c of clients) c.socket.resume();
  await Promise.all(clients.map((c) => c.ended));
  for (const [i, c] of clients.entries()) {
    const answers = readResponses(Buffer.concat(c.received), FLOOD);
    const f = floods[i];
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [f.status], `${f.what}: every answer is ${f.status}`);
    assert.equal(answers.findIndex((a) => a.close), FLOOD - 1, `${f.what}: only the last answer closes the connection`);
    if (f.status === 503) assert.ok(answers.every((a) => a.retryAfter), 'every 503 carries Retry-After');
  }
  assert.ok(h.rssBytes() < RSS_BOUND);
  assert.equal((await get(`${h.url}/`, { headers: { host: 'known.example' } })).status, 200);
  await waitFor(() => accessLines() >= 2 * FLOOD + 52, 10_000, 'every request in the access log');
});

test('a client that pipelines past what the kernel buffers and never reads: the front door stops reading it, its unsent answers stay under 64 KiB, and it answers the rest once read', async () => {
  // Each loopback connection's kernel send buffer alone holds some 24,000 of the front door's
  // answers (tcp_wmem up to 4 MiB): 60,000 go past it, so the host itself must stop.
  const n = 60_000;
  inProcess = await startTestHost({
    sites: [{ name: 'known', hosts: ['known.example'], apps: [{ path: '/', pool: 'other' }] }],
    pools: { other: helloPool() },
    logs: { maxBytes: '256KB', maxFiles: 2 },
    // It reads the front door's connections on the host's thread.
    frontDoor: { threads: 1 },
  });
  const h = inProcess;
  let ended = 0;
  (h.host.supervisor.frontDoor as FrontDoor).context.onRequestEnd = () => {
    ended++;
  };
  const received: Buffer[] = [];
  const socket = connect(h.port, '127.0.0.1');
  sockets.push(socket);
  socket.pause();
  socket.on('data', (c: Buffer) => received.push(c));
  const closed = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  socket.write(flood(n, 'nowhere.example', '/x'));
  let most = 0;
  let last = -1;
  const stalled = await waitFor(async () => {
    await new Promise((r) => setTimeout(r, 200));
    for (const c of (h.host.supervisor.frontDoor as FrontDoor).context.connections) most = Math.max(most, (c.socket as Socket).writableLength);
    const still = ended === last && ended > 0;
    last = ended;
    return still ? ended : null;
  }, 30_000, 'the front door to stop answering');
  assert.ok(stalled < n, `answered ${stalled} of ${n} requests nobody read`);
  assert.ok(most <= 64 * 1024 + 512, `answers waiting in the host: ${most} bytes`);
  assert.equal((await get(`${h.url}/`, { headers: { host: 'known.example' } })).status, 200, 'the other pool serves meanwhile');
  socket.resume();
  await closed;
  const answers = readResponses(Buffer.concat(received), n);
  assert.ok(answers.every((a) => a.status === 404));
  assert.equal(ended, n + 1);
  // The flood's access log rotated within its bound: no file past maxBytes by more than a line.
  await h.host.supervisor.accessLog.flush();
  const logs = readdirSync(join(h.dir, 'logs')).filter((f) => f.startsWith('access.log')).sort();
  assert.deepEqual(logs, ['access.log', 'access.log.1', 'access.log.2']);
  for (const f of logs) {
    const size = statSync(join(h.dir, 'logs', f)).size;
    assert.ok(size <= 256 * 1024 + 1024, `${f}: ${size} bytes`);
  }
});
