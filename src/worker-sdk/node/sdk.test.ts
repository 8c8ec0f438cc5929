import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  FIXTURES_DIR, REGISTER_PATH, freeTcpPort, httpGet, spawnWorker,
} from '../worker-test-peer.ts';
import type { TestWorker } from '../worker-test-peer.ts';

const HELLO = path.join(FIXTURES_DIR, 'hello.mjs');
const workers: TestWorker[] = [];

/** Spawns the hello fixture with the SDK injected the way the host does for `runtime: node`. */
function spawnHello(env: Record<string, string> = {}, extra: { port?: string; channel?: boolean } = {}) {
  const worker = spawnWorker({
    command: process.execPath,
    args: [HELLO],
    env: { NODE_OPTIONS: `--import ${REGISTER_PATH}`, ...env },
    ...extra,
  });
  workers.push(worker);
  return worker;
}

after(async () => {
  await Promise.all(workers.map((w) => w.dispose()));
});

describe('node worker SDK', () => {
  it('sends ready once the app listens on a unix socket PORT, and raises keep-alive', async () => {
    const worker = spawnHello();
    const ready = await worker.waitFor((m) => m.type === 'ready');
    assert.equal(ready.pid, worker.child.pid);
    const agent = new http.Agent({ keepAlive: true });
    const res = await httpGet(worker.port, '/', agent);
    agent.destroy();
    assert.equal(res.status, 200);
    assert.equal(res.body, `hello from test-1 pid ${worker.child.pid}`);
    // Node announces its keepAliveTimeout; the SDK raised it above the host's pool idle time.
    assert.equal(res.headers['keep-alive'], 'timeout=65');
  });

  it('sends ready once the app listens on a TCP PORT, and only once', async () => {
    const port = String(await freeTcpPort());
    const worker = spawnHello({ HELLO_START_DELAY_MS: '100' }, { port });
    await worker.waitFor((m) => m.type === 'ready');
    const res = await httpGet(port, '/');
    assert.match(res.body, /^hello from test-1 pid \d+$/);
    assert.equal(worker.received.filter((m) => m.type === 'ready').length, 1);
  });

  it('answers ping with pong carrying the same id', async () => {
    const worker = spawnHello();
    await worker.waitFor((m) => m.type === 'ready');
    worker.send({ type: 'ping', id: 7 });
    worker.send({ type: 'ping', id: 8 });
    const pong = await worker.waitFor((m) => m.type === 'pong' && m.id === 8);
    assert.deepEqual(pong, { type: 'pong', id: 8 });
    assert.ok(worker.received.some((m) => m.type === 'pong' && m.id === 7));
  });

  it('does not answer ping while the event loop is stuck in /hang', async () => {
    const worker = spawnHello();
    await worker.waitFor((m) => m.type === 'ready');
    httpGet(worker.port, '/hang').catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.send({ type: 'ping', id: 9 });
    await assert.rejects(worker.waitFor((m) => m.type === 'pong', 800), /no matching message/);
  });

  it('drains: the in-flight request completes, onDrain handlers run, the process exits 0', async () => {
    const worker = spawnHello({ HELLO_ON_DRAIN_MS: '100' });
    await worker.waitFor((m) => m.type === 'ready');
    const slow = httpGet(worker.port, '/slow?ms=700');
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.send({ type: 'drain', deadlineMs: 10_000 });
    const res = await slow;
    assert.equal(res.status, 200);
    assert.equal(res.body, `slow 700 ms from test-1 pid ${worker.child.pid}`);
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    assert.match(worker.stdout(), /drain handler done/);
  });

  it('drains: exits 0 before the deadline even when a request is still running', async () => {
    const worker = spawnHello();
    await worker.waitFor((m) => m.type === 'ready');
    const stuck = httpGet(worker.port, '/slow?ms=30000').then(() => 'answered', () => 'cut');
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.send({ type: 'drain', deadlineMs: 1000 });
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    assert.equal(await stuck, 'cut');
  });

  it('drains promptly although the host still holds an idle keep-alive connection', async () => {
    const worker = spawnHello();
    await worker.waitFor((m) => m.type === 'ready');
    const agent = new http.Agent({ keepAlive: true });
    await httpGet(worker.port, '/', agent);
    worker.send({ type: 'drain', deadlineMs: 60_000 });
    const outcome = await Promise.race([
      worker.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 5000)),
    ]);
    agent.destroy();
    assert.deepEqual(outcome, { code: 0, signal: null });
  });

  it('exits when the host end of the channel is destroyed', async () => {
    const worker = spawnHello();
    await worker.waitFor((m) => m.type === 'ready');
    worker.channel.destroy();
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it('reports unhealthy when the event loop is blocked longer than the limit allows', async () => {
    const worker = spawnHello({ PADDOCK_EVENT_LOOP_DELAY_LIMIT_MS: '200', PADDOCK_EVENT_LOOP_DELAY_TIME_MS: '1000' });
    await worker.waitFor((m) => m.type === 'ready');
    const res = await httpGet(worker.port, '/block?ms=1500');
    assert.equal(res.body, 'blocked 1500 ms');
    const report = await worker.waitFor((m) => m.type === 'unhealthy');
    assert.match(String(report.reason), /^event loop blocked for [\d.]+ s in the last 2 s \(limit 0\.2 s\)$/);
    assert.ok(Number(report.eventLoopDelayMs) >= 1000, `eventLoopDelayMs ${String(report.eventLoopDelayMs)}`);
  });

  it('does not report a loop that is never blocked past the limit', async () => {
    const worker = spawnHello({ PADDOCK_EVENT_LOOP_DELAY_LIMIT_MS: '200', PADDOCK_EVENT_LOOP_DELAY_TIME_MS: '1000' });
    await worker.waitFor((m) => m.type === 'ready');
    await httpGet(worker.port, '/slow?ms=600');
    worker.send({ type: 'ping', id: 1 });
    await worker.waitFor((m) => m.type === 'pong');
    assert.equal(worker.received.filter((m) => m.type === 'unhealthy').length, 0);
  });

  it('passes reportUnhealthy from the app to the host', async () => {
    const worker = spawnHello();
    await worker.waitFor((m) => m.type === 'ready');
    const res = await httpGet(worker.port, '/unhealthy');
    assert.deepEqual(JSON.parse(res.body), { reported: true });
    const report = await worker.waitFor((m) => m.type === 'unhealthy');
    assert.deepEqual(report, { type: 'unhealthy', reason: 'asked by /unhealthy' });
  });

  it('does nothing in a process that has the environment but not the channel', async () => {
    const worker = spawnHello({}, { channel: false });
    const agent = new http.Agent({ keepAlive: true });
    let res;
    for (let i = 0; i < 100 && res === undefined; i++) {
      res = await httpGet(worker.port, '/unhealthy', agent).catch(() => undefined);
      if (res === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(res, `worker never served; stderr: ${worker.stderr()}`);
    assert.deepEqual(JSON.parse(res.body), { reported: false });
    agent.destroy();
    assert.equal(res.headers['keep-alive'], 'timeout=5');
  });
});
