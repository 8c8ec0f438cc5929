/**
 * Socket activation as systemd does it (test/fixtures/socket-activate.py plays systemd, with the
 * ExecStart that `paddock service install --socket` writes): the front door serves a listening
 * socket passed as descriptor 3 with LISTEN_FDS=1 instead of opening its binding, tells systemd
 * READY, workers never hold the socket, and a host restarted under continuous load — stopped with
 * SIGTERM, then started again on the same socket, as `systemctl restart` does — fails no request:
 * the connections that arrive in between wait in the socket's backlog for the next host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fixtures, helloCommand, waitFor } from './helpers/test-host.ts';
import { cliMain, socketInodes, watch, writeConfigDir } from './helpers/processes.ts';

const python = ['/usr/bin/python3', '/bin/python3'].find((f) => existsSync(f)) ?? null;

/** Runs a program to its end and returns its stdout; rejects on failure. */
function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/** One GET on a connection of its own (no keep-alive): each request is a new connection to the socket. */
function fresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

test('a socket passed as fd 3 is served, and a restart under load with it fails no request', async (t) => {
  if (python === null) return t.skip('python3 is not installed: it plays systemd here');
  const { dir, file } = writeConfigDir({}, 'pdk-activate-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The binding is written once the socket's port is known: the passed socket must cover it.
  const notifySocket = join(dir, 'notify.sock');
  const systemd = watch(python, [join(fixtures, 'notify-listen.py'), notifySocket]);
  t.after(() => systemd.child.kill());
  await systemd.waitLine((l) => 'listening' in l, 'the notify socket');
  const activator = watch(python, [join(fixtures, 'socket-activate.py')], { env: { ...process.env, NOTIFY_SOCKET: notifySocket } });
  t.after(() => { activator.child.stdin?.end(); });
  const { port } = await activator.waitLine((l) => 'port' in l, 'the activator to bind') as { port: number };
  writeFileSync(file, stringify({
    dataDir: dir,
    listen: [`127.0.0.1:${port}`],
    admin: { socket: join(dir, 'admin.sock') },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: { command: helloCommand, startMode: 'AlwaysRunning', processModel: { maxProcesses: 2, shutdownTimeLimit: '5s' } } },
  }));
  const url = `http://127.0.0.1:${port}/`;
  // The host starts as the generated unit starts it.
  const unit = await run(process.execPath, [cliMain, 'service', 'install', '--print', '--socket', '--config', file]);
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1].split(' ');
  assert.match(unit, new RegExp(`^ListenStream=127\\.0\\.0\\.1:${port}$`, 'm'));
  activator.child.stdin!.write(`start ${JSON.stringify(execStart)}\n`);
  const first = await activator.waitLine((l) => 'started' in l, 'the host to start') as { started: number };
  await waitFor(async () => (await fresh(url).catch(() => null))?.status === 200, 20_000, `the host to serve on the passed socket:\n${activator.err()}`);
  assert.match(activator.err(), /"event":7121[^\n]*fd 3 \(paddock, 127\.0\.0\.1:\d+\)/, 'the host says it serves the passed socket');
  assert.doesNotMatch(activator.err(), /EADDRINUSE/);
  const ready = await systemd.waitLine((l) => (l.fields as Record<string, string> | undefined)?.READY === '1', 'READY=1');
  assert.equal(ready.pid, first.started, 'READY from the main pid, with the passed socket kept');

  // The workers do not hold the front door's socket: it lives in the host (and in systemd) only.
  const workerPids = [...activator.err().matchAll(/"event":6002[^\n]*"pid":(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(workerPids.length >= 1);
  const listening = [...socketInodes(activator.child.pid!)];
  for (const pid of workerPids) assert.deepEqual(listening.filter((i) => socketInodes(pid).has(i)), [], `worker ${pid} holds none of the activator's sockets`);

  // Continuous load, a new connection per request, across a restart of the host.
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loops = Array.from({ length: 4 }, async () => {
    while (running) {
      try {
        const r = await fresh(url);
        if (r.status === 200) ok++;
        else failures.push(`${r.status} ${r.body.slice(0, 80)}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });
  await waitFor(() => ok >= 50, 20_000, 'load before the restart');
  const before = ok;
  activator.child.stdin!.write('restart\n');
  const second = await activator.waitLine((l) => 'started' in l && l.started !== first.started, 'the host to be started again', 30_000) as { started: number };
  await waitFor(() => ok >= before + 100, 30_000, 'load after the restart');
  running = false;
  await Promise.all(loops);
  assert.deepEqual(failures, [], `no request failed across the restart (${ok} answered)`);
  const exits = activator.lines().filter((l) => 'exited' in l);
  assert.deepEqual(exits.map((l) => l.exited), [0], 'the first host drained and exited 0');
  assert.notEqual(second.started, first.started);
  activator.child.stdin!.end();
  assert.equal(await activator.exited, 0);
  assert.deepEqual(activator.lines().filter((l) => 'exited' in l).map((l) => l.exited), [0, 0]);
  const kinds = systemd.lines().filter((l) => 'fields' in l).map((l) => Object.keys(l.fields as object).find((k) => k !== 'STATUS'));
  assert.deepEqual(kinds, ['READY', 'STOPPING', 'READY', 'STOPPING'], 'each host said READY and STOPPING');
});
