import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { freeTcpPort, httpGet, spawnWorker } from './worker-test-peer.ts';
import type { TestWorker } from './worker-test-peer.ts';

// The example Python workers (examples/apps/py), spawned the way the host spawns a generic worker.
const PY_DIR = fileURLToPath(new URL('../../examples/apps/py/', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;
const workers: TestWorker[] = [];

after(async () => {
  await Promise.all(workers.map((w) => w.dispose()));
});

function spawnPython(script: string, port?: string): TestWorker & { readonly port: string } {
  const worker = spawnWorker({ command: 'python3', args: [PY_DIR + script], env: { PYTHONUNBUFFERED: '1' }, ...(port === undefined ? {} : { port }) });
  workers.push(worker);
  return worker;
}

/** Without a channel the host counts a worker ready when PORT accepts a connection: do the same. */
async function waitUntilServing(worker: TestWorker & { readonly port: string }, urlPath: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await httpGet(worker.port, urlPath).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`worker never served: ${worker.stderr()}`);
}

/** Two GETs over one kept-alive connection; returns both results. */
async function twoOnOneConnection(port: string, urlPath: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await httpGet(port, urlPath, agent);
    const second = await httpGet(port, urlPath, agent);
    return [first, second] as const;
  } finally {
    agent.destroy();
  }
}

describe('python example workers', { skip: hasPython ? false : 'python3 not installed' }, () => {
  it('app.py serves HTTP/1.1 keep-alive on a unix socket PORT', async () => {
    const worker = spawnPython('app.py');
    await waitUntilServing(worker, '/py/');
    const [first, second] = await twoOnOneConnection(worker.port, '/py/');
    assert.equal(first.status, 200);
    assert.match(first.body, /^hello from Python 3\.\d+\.\d+, worker test-1 pid \d+\n$/);
    assert.equal(second.reusedSocket, true);
    assert.equal(second.body, first.body);
  });

  it('app.py serves on a TCP PORT and stops on SIGTERM', async () => {
    const worker = spawnPython('app.py', String(await freeTcpPort()));
    await waitUntilServing(worker, '/py/info');
    const info = JSON.parse((await httpGet(worker.port, '/py/info')).body) as { pool: string };
    assert.equal(info.pool, 'test');
    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it('control_channel_worker.py sends ready, answers ping, keeps alive, and exits 0 on drain', async () => {
    const worker = spawnPython('control_channel_worker.py');
    const ready = await worker.waitFor((m) => m.type === 'ready');
    assert.equal(ready.pid, worker.child.pid);
    worker.send({ type: 'ping', id: 42 });
    assert.deepEqual(await worker.waitFor((m) => m.type === 'pong'), { type: 'pong', id: 42 });
    const [first, second] = await twoOnOneConnection(worker.port, '/py-channel/');
    assert.match(first.body, /over the control channel, worker test-1/);
    assert.equal(second.reusedSocket, true);
    await httpGet(worker.port, '/py-channel/unhealthy');
    assert.deepEqual(await worker.waitFor((m) => m.type === 'unhealthy'), { type: 'unhealthy', reason: 'asked by /py-channel/unhealthy' });
    worker.send({ type: 'drain', deadlineMs: 5000 });
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it('control_channel_worker.py exits when the channel reaches EOF', async () => {
    const worker = spawnPython('control_channel_worker.py');
    await worker.waitFor((m) => m.type === 'ready');
    worker.channel.end();
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });
});
