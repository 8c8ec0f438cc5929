/**
 * The front door in two threads (frontDoor.threads: 2): connections spread over the threads, the
 * web garden's least-outstanding choice and the per-worker limit hold across them, a request
 * queued in one thread is granted when a worker frees up in the other, the queue bound holds over
 * both, and a thread that fails is replaced (7181) while the other thread's connections go on.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { EventIds } from '../src/events/event-ids.ts';
import { FrontDoorThreads } from '../src/front-door/front-door-threads.ts';
import { get, helloPool, oneSite, startTestHost, waitFor, type TestHost } from './helpers/test-host.ts';

const hosts: TestHost[] = [];
after(async () => {
  for (const h of hosts) await h.stop().catch(() => {});
});

async function threadedHost(pool: Record<string, unknown>): Promise<TestHost> {
  const h = await startTestHost({ frontDoor: { threads: 2 }, sites: oneSite('web'), pools: { web: pool } });
  hosts.push(h);
  return h;
}

function threadsOf(h: TestHost): FrontDoorThreads {
  const fd = h.host.supervisor.frontDoor;
  assert.ok(fd instanceof FrontDoorThreads, 'the front door runs in threads');
  return fd;
}

/** A keep-alive connection that reads whole answers of the hello fixture (Content-Length bodies). */
class Client {
  readonly socket: Socket;
  #buf = '';
  #waiters: Array<(body: string) => void> = [];
  closed = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.#buf += d;
      this.#drain();
    });
    this.socket.on('close', () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w('');
    });
    this.socket.on('error', () => {});
  }

  #drain(): void {
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const m = /content-length:\s*(\d+)/i.exec(this.#buf.slice(0, end));
      const len = m === null ? 0 : Number(m[1]);
      if (this.#buf.length < end + 4 + len) return;
      const head = this.#buf.slice(0, end);
      const body = this.#buf.slice(end + 4, end + 4 + len);
      this.#buf = this.#buf.slice(end + 4 + len);
      this.#waiters.shift()?.(`${head.split('\r\n')[0]}\n${body}`);
    }
  }

  /** Sends a GET; resolves with "status line\nbody", or '' when the connection closed first. */
  request(path: string): Promise<string> {
    return new Promise((resolve) => {
      if (this.closed) return resolve('');
      this.#waiters.push(resolve);
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
    });
  }
}

function inFlight(h: TestHost): number {
  return h.host.supervisor.poolMap.get('web')!.inspect().inFlight;
}

test('connections spread over two threads, and least outstanding holds across them', async () => {
  const h = await threadedHost(helloPool({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }));
  await h.waitForEvent(EventIds.WorkerReady, 'web', 15_000, 2);
  const fd = threadsOf(h);
  const clients = Array.from({ length: 16 }, () => new Client(h.port));
  const answers: Array<Promise<string>> = [];
  // One at a time: each request is in a worker before the next is sent, so every choice sees
  // what both threads hold. Least outstanding over both threads alternates: 8 and 8.
  for (const [i, c] of clients.entries()) {
    answers.push(c.request('/slow?ms=2500'));
    await waitFor(() => inFlight(h) === i + 1, 10_000, `${i + 1} requests in flight`);
  }
  const loads = fd.loads();
  assert.equal(loads.length, 2);
  assert.ok(loads.every((l) => l.inFlight > 0), `both threads hold requests: ${JSON.stringify(loads)}`);
  assert.equal(loads[0].inFlight + loads[1].inFlight, 16);
  const workers = h.host.supervisor.poolMap.get('web')!.inspect().workers.map((w) => w.inFlight);
  assert.deepEqual(workers, [8, 8], 'least outstanding over both threads');
  const bodies = await Promise.all(answers);
  const byWorker = new Map<string, number>();
  for (const b of bodies) {
    assert.match(b, /^HTTP\/1\.1 200/);
    const w = /from (\S+)/.exec(b)![1];
    byWorker.set(w, (byWorker.get(w) ?? 0) + 1);
  }
  assert.deepEqual([...byWorker.values()].sort(), [8, 8]);
  for (const c of clients) c.socket.destroy();
});

test('one worker taking one request at a time: requests queued in either thread are granted as the other frees it, and the queue bound holds over both', async () => {
  const h = await threadedHost(helloPool({ startMode: 'AlwaysRunning', queueLength: 4, processModel: { maxProcesses: 1, maxConcurrentRequestsPerWorker: 1 } }));
  await h.waitForEvent(EventIds.WorkerReady, 'web');
  const fd = threadsOf(h);
  // Sixteen connections: both threads hold some (the first test shows the kernel spreads them).
  const clients = Array.from({ length: 16 }, () => new Client(h.port));
  await waitFor(() => fd.connectionCount() === 16, 5_000, '16 connections counted');
  const byThread = fd.loads().map((l) => l.connections);
  assert.ok(byThread.every((n) => n > 0), `both threads hold connections: ${byThread}`);
  // Five at once fit: one in the worker, four queued over the two threads.
  const first = clients.slice(0, 5).map((c) => c.request('/slow?ms=300'));
  await waitFor(() => inFlight(h) === 1 && h.host.supervisor.poolMap.get('web')!.inspect().queued === 4, 5_000, '1 in flight and 4 queued');
  // The queue is full over both threads: the rest are refused at once, whichever thread has them.
  const refused = await Promise.all(clients.slice(5).map((c) => c.request('/')));
  for (const r of refused) assert.match(r, /^HTTP\/1\.1 503/, 'queue full');
  const served = await Promise.all(first);
  for (const r of served) assert.match(r, /^HTTP\/1\.1 200/);
  const refusedCount = h.host.supervisor.poolMap.get('web')!.inspect().refused.QueueFull;
  assert.equal(refusedCount, 11);
  for (const c of clients) c.socket.destroy();
});

test('a front-door thread that fails is replaced (7181); the other thread\'s connections go on', async () => {
  const h = await threadedHost(helloPool({ startMode: 'AlwaysRunning' }));
  await h.waitForEvent(EventIds.WorkerReady, 'web');
  const fd = threadsOf(h);
  const clients = Array.from({ length: 16 }, () => new Client(h.port));
  for (const c of clients) assert.match(await c.request('/'), /^HTTP\/1\.1 200/);
  await waitFor(() => fd.connectionCount() === 16, 5_000, '16 connections counted');
  const onZero = fd.loads()[0].connections;
  assert.ok(onZero > 0 && onZero < 16, `both threads hold connections (${onZero} on thread 0)`);
  await fd.threadOf(1).terminate();
  const e = await h.waitForEvent(EventIds.FrontDoorThreadFailed);
  assert.equal(e.details.thread, 1);
  // Thread 0's connections serve on; thread 1's closed with it.
  const after = await Promise.all(clients.map((c) => c.request('/')));
  const ok = after.filter((r) => r.startsWith('HTTP/1.1 200')).length;
  assert.equal(ok, onZero, 'every connection of the thread that lived still serves');
  // The new thread listens beside the first: new connections are served, and some by it.
  const fresh: Client[] = [];
  await waitFor(async () => {
    const c = new Client(h.port);
    fresh.push(c);
    assert.match(await c.request('/'), /^HTTP\/1\.1 200/);
    return fd.loads()[1].connections > 0;
  }, 10_000, 'a new connection served by the replacement');
  assert.equal(fd.loads()[1].restarts, 1);
  for (const c of [...clients, ...fresh]) c.socket.destroy();
});
