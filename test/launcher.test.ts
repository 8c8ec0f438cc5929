/**
 * The `paddock` launcher (bin/paddock.mjs) never leaves a host behind: on Node 24 it is the host
 * itself, and on an older Node the pinned Node it starts dies with it, even when the launcher is
 * killed with SIGKILL — so the next start finds its port free.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { alive, get, helloCommand, repoRoot, waitFor } from './helpers/test-host.ts';

const launcher = join(repoRoot, 'bin/paddock.mjs');

/** A `node` on PATH older than 24, as many machines still have (Debian 12 ships 18), or null. */
function oldNode(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules')) continue;
    const file = join(dir, 'node');
    try {
      const version = execFileSync(file, ['--version'], { encoding: 'utf8' }).trim();
      return Number(/^v(\d+)/.exec(version)?.[1]) < 24 ? file : null;
    } catch {
      // not here
    }
  }
  return null;
}

function writeConfig(dir: string): string {
  const file = join(dir, 'paddock.yaml');
  writeFileSync(file, stringify({
    dataDir: dir,
    listen: ['127.0.0.1:0'],
    admin: { socket: join(dir, 'admin.sock') },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: { command: helloCommand, startMode: 'AlwaysRunning' } },
  }));
  return file;
}

/** Starts the launcher with `node`, waits for the host to serve; returns its port and pids. */
async function launch(node: string, file: string): Promise<{ child: ChildProcess; port: number; hostPid: number; workerPid: number }> {
  const child = spawn(node, [launcher, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const port = await waitFor(() => Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]) || null, 20_000, `the host to start:\n${out}`);
  const hostPid = await waitFor(() => Number(/Host started \(pid (\d+)\)/.exec(out)?.[1]) || null, 5000, 'the host pid');
  assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
  const workerPid = await waitFor(() => Number(/"event":6002[^\n]*"pid":(\d+)/.exec(out)?.[1]) || null, 20_000, 'the worker ready');
  return { child, port, hostPid, workerPid };
}

/** True when `port` on 127.0.0.1 can be bound again: nobody holds it. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('on Node 24 the launcher is the host: SIGKILL ends it, its worker, and frees the port', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-launch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { child, port, hostPid, workerPid } = await launch(process.execPath, writeConfig(dir));
  assert.equal(hostPid, child.pid, 'no second process: the host runs in the launcher\'s own pid');
  child.kill('SIGKILL');
  await waitFor(() => !alive(workerPid), 10_000, `worker ${workerPid} to die with the host`);
  assert.ok(await waitFor(() => portFree(port), 5000, `port ${port} to be free`));
});

test('on an older Node the pinned Node it starts dies with the launcher, even by SIGKILL', async (t) => {
  const node = oldNode();
  if (node === null) {
    t.skip('no node older than 24 on PATH: the re-spawning launcher cannot be tried here');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pdk-launch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { child, port, hostPid, workerPid } = await launch(node, writeConfig(dir));
  t.after(() => { for (const pid of [hostPid, workerPid]) if (alive(pid)) process.kill(pid, 'SIGKILL'); });
  assert.notEqual(hostPid, child.pid, 'the launcher re-ran the command on the pinned Node');
  child.kill('SIGKILL');
  await waitFor(() => !alive(hostPid), 5000, `host ${hostPid} to die with its launcher`);
  await waitFor(() => !alive(workerPid), 10_000, `worker ${workerPid} to die with the host`);
  assert.ok(await waitFor(() => portFree(port), 5000, `port ${port} to be free for the next start`));
  // And the next start works on the same port.
  const again = writeConfig(dir);
  writeFileSync(again, stringify({ dataDir: dir, listen: [`127.0.0.1:${port}`], admin: { socket: join(dir, 'admin.sock') }, sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }], pools: { web: { command: helloCommand } } }));
  const next = await launch(node, again);
  assert.equal(next.port, port);
  next.child.kill('SIGTERM');
  await waitFor(() => !alive(next.hostPid), 15_000, 'the second host to stop on SIGTERM passed through the launcher');
});
