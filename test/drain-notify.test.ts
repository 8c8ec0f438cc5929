/**
 * `paddock drain` under systemd's Type=notify, with the test playing systemd (a unix datagram
 * socket in NOTIFY_SOCKET, bound by Python as in service-notify.test.ts): `systemctl status` shows
 * the drain's own line while it drains, the serving line again after `--cancel`, and the drain's
 * end in STOPPING when the host leaves by itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, helloCommand, waitFor } from './helpers/test-host.ts';
import { cliMain, watch, writeConfigDir } from './helpers/processes.ts';
import { steadyLoad } from './faults/steady-load.ts';

const python = ['/usr/bin/python3', '/bin/python3'].find((f) => existsSync(f)) ?? null;

type Note = { pid: number | null; fields: Record<string, string> };

function paddock(socket: string, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliMain, ...args, '--admin', socket], { timeout: 30_000 }, (err, _out, stderr) => resolve(err ? `exit ${(err as { code?: number }).code ?? 1}: ${stderr}` : 'ok'));
  });
}

test('systemd\'s status line says the host drains, says it no more after --cancel, and STOPPING says how the drain ended', async (t) => {
  if (python === null) return t.skip('python3 is not installed: nothing here can bind a unix datagram socket');
  const { dir, file } = writeConfigDir({
    drain: { idleTime: '1s', timeLimit: '30s' },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: { command: helloCommand, startMode: 'AlwaysRunning', processModel: { shutdownTimeLimit: '5s' } } },
  }, 'pdk-drainnotify-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'notify.sock');
  const systemd = watch(python, [join(fixtures, 'notify-listen.py'), socket]);
  t.after(() => systemd.child.kill());
  await systemd.waitLine((l) => 'listening' in l, 'the notify socket to be bound', 10_000);
  const notes = (): Note[] => systemd.lines().filter((l) => 'fields' in l) as unknown as Note[];
  const statuses = (): string[] => notes().map((n) => n.fields.STATUS).filter((s): s is string => s !== undefined);

  const host = watch(process.execPath, [cliMain, 'run', '--config', file], { env: { ...process.env, NOTIFY_SOCKET: socket } });
  t.after(() => { if (host.child.exitCode === null) host.child.kill('SIGKILL'); });
  const ready = await waitFor(() => notes().find((n) => n.fields.READY === '1'), 20_000, `READY=1; host said:\n${host.err()}`);
  const admin = join(dir, 'admin.sock');

  // A drain and its cancel while a trickle of requests keeps the host from going quiet, then a
  // drain the host sees through to its exit.
  const port = Number(/serving 1 pools on http:\/\/127\.0\.0\.1:(\d+)/.exec(ready.fields.STATUS)![1]);
  const trickle = steadyLoad(`http://127.0.0.1:${port}/`, { concurrency: 1, paceMs: 50 });
  assert.equal(await paddock(admin, 'drain'), 'ok');
  await waitFor(() => statuses().some((s) => s.startsWith('Draining since')), 10_000, 'the drain\'s status line');
  assert.equal(await paddock(admin, 'drain', '--cancel'), 'ok');
  await waitFor(() => statuses().at(-1) === ready.fields.STATUS, 10_000, 'the serving line again');
  assert.equal((await trickle.stop()).failed, 0);
  assert.equal(await paddock(admin, 'drain'), 'ok');
  assert.equal(await host.exited, 0, host.err());
  await waitFor(() => notes().some((n) => n.fields.STOPPING === '1'), 5_000, 'STOPPING=1');

  const draining = statuses().find((s) => s.startsWith('Draining since'))!;
  assert.match(draining, /^Draining since \d\d:\d\d:\d\d UTC: readiness 503 for every pool, \d+ request\(s\) busy; exits when quiet for 1 s or at \d\d:\d\d:\d\d UTC$/);
  const stopping = notes().find((n) => n.fields.STOPPING === '1')!;
  assert.equal(stopping.fields.STATUS, 'Drained: quiet, stopping');
  // In order: serving, draining, serving, draining, drained; then STOPPING with the drained line.
  const order = statuses().map((s) => (s.startsWith('serving') ? 'serving' : s.startsWith('Draining') ? 'draining' : s));
  assert.deepEqual(order.filter((s, i) => s !== order[i - 1]), ['serving', 'draining', 'serving', 'draining', 'Drained: quiet, stopping']);
  assert.ok(notes().every((n) => n.pid === host.child.pid), 'every message from the host\'s pid');
});
