/**
 * The host under systemd's Type=notify, with the test playing systemd: a unix datagram socket in
 * NOTIFY_SOCKET (Python's socket module, as Node cannot bind one) receives READY, RELOADING and
 * READY around a SIGHUP, then STOPPING, in that order, each sent from the host's own pid (what
 * systemd's NotifyAccess=main checks). Also: the open-file limit raised at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, get, helloCommand, waitFor } from './helpers/test-host.ts';
import { cliMain, environOf, socketInodes, watch, writeConfigDir } from './helpers/processes.ts';
import { notifyHelper } from '../src/service/notify-socket.ts';
import { readOpenFileLimit } from '../src/service/open-file-limit.ts';

const python = ['/usr/bin/python3', '/bin/python3'].find((f) => existsSync(f)) ?? null;

/** Starts the fake systemd notification socket at `path`. */
async function notifyListener(path: string): Promise<ReturnType<typeof watch>> {
  const w = watch(python!, [join(fixtures, 'notify-listen.py'), path]);
  await w.waitLine((l) => 'listening' in l, 'the notify socket to be bound', 10_000);
  return w;
}

type Note = { pid: number | null; fields: Record<string, string> };

test('READY, RELOADING then READY on SIGHUP, STOPPING: in order, from the host\'s pid', async (t) => {
  if (python === null) return t.skip('python3 is not installed: nothing here can bind a unix datagram socket');
  const { dir, file } = writeConfigDir({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: { command: helloCommand, startMode: 'AlwaysRunning', processModel: { shutdownTimeLimit: '5s' } } },
  }, 'pdk-notify-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'notify.sock');
  const systemd = await notifyListener(socket);
  t.after(() => systemd.child.kill());
  const notes = (): Note[] => systemd.lines().filter((l) => 'fields' in l) as unknown as Note[];

  const host = watch(process.execPath, [cliMain, 'run', '--config', file], { env: { ...process.env, NOTIFY_SOCKET: socket } });
  t.after(() => { if (host.child.exitCode === null) host.child.kill('SIGKILL'); });
  const ready = await waitFor(() => notes().find((n) => n.fields.READY === '1'), 20_000, `READY=1; host said:\n${host.err()}`);
  assert.equal(ready.pid, host.child.pid, 'sent by the main pid itself, as NotifyAccess=main requires');
  assert.match(ready.fields.STATUS, /^serving 1 pools on http:\/\/127\.0\.0\.1:\d+\/$/);

  // Workers see neither the notification socket nor its descriptor.
  const workerPid = Number((await waitFor(() => /"event":6002[^\n]*"pid":(\d+)/.exec(host.out()), 15_000, 'the worker ready'))[1]);
  const env = environOf(workerPid);
  assert.equal(env.NOTIFY_SOCKET, undefined);
  assert.equal(env.PADDOCK_NOTIFY_FD, undefined);
  const notifyFd = environOf(host.child.pid!).PADDOCK_NOTIFY_FD;
  assert.match(notifyFd, /^\d+$/, 'the helper opened the socket and named its descriptor');
  const inode = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/${host.child.pid}/fd/${notifyFd}`))![1];
  assert.ok(!socketInodes(workerPid).has(inode), 'the worker does not hold the notification socket');

  host.child.kill('SIGHUP');
  const reloaded = await waitFor(() => notes().filter((n) => n.fields.READY === '1')[1], 20_000, 'READY=1 after the reload');
  host.child.kill('SIGTERM');
  assert.equal(await host.exited, 0, host.err());
  await waitFor(() => notes().some((n) => n.fields.STOPPING === '1'), 5000, 'STOPPING=1');

  const kinds = notes().map((n) => ['READY', 'RELOADING', 'STOPPING'].find((k) => n.fields[k] === '1') ?? `STATUS ${n.fields.STATUS}`);
  assert.deepEqual(kinds, ['READY', 'RELOADING', 'READY', 'STOPPING']);
  assert.ok(notes().every((n) => n.pid === host.child.pid), 'every message from the host\'s pid');
  const reloading = notes()[1];
  // MONOTONIC_USEC is CLOCK_MONOTONIC, the clock /proc/uptime counts (Type=notify-reload checks it).
  const uptimeUsec = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e6;
  assert.ok(Math.abs(Number(reloading.fields.MONOTONIC_USEC) - uptimeUsec) < 30e6, `MONOTONIC_USEC ${reloading.fields.MONOTONIC_USEC} is near ${uptimeUsec}`);
  assert.match(reloaded.fields.STATUS, /configuration reloaded/);
  assert.match(notes()[3].fields.STATUS, /draining/);
});

test('a NOTIFY_SOCKET nobody listens on: the host serves anyway and says why systemd hears nothing', async (t) => {
  const { dir, file } = writeConfigDir({ sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }], pools: { web: { command: helloCommand } } }, 'pdk-notify-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = watch(process.execPath, [cliMain, 'run', '--config', file], { env: { ...process.env, NOTIFY_SOCKET: join(dir, 'nobody.sock') } });
  t.after(() => { if (host.child.exitCode === null) host.child.kill('SIGKILL'); });
  const port = Number((await waitFor(() => /serving 1 pools on http:\/\/127\.0\.0\.1:(\d+)/.exec(host.err()), 20_000, `the host to start:\n${host.err()}`))[1]);
  assert.match(host.err(), /cannot notify systemd: cannot connect to .*nobody\.sock/);
  assert.match(host.out(), /"event":7122/);
  assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
  host.child.kill('SIGTERM');
  assert.equal(await host.exited, 0);
});

test('both notification helpers, Perl and Python, hand Node a socket that reaches systemd from the same pid', async (t) => {
  if (python === null) return t.skip('python3 is not installed: nothing here can bind a unix datagram socket');
  const { dir } = writeConfigDir({}, 'pdk-notify-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'notify.sock');
  const systemd = await notifyListener(socket);
  t.after(() => systemd.child.kill());
  const env = { ...process.env, NOTIFY_SOCKET: socket };
  let tried = 0;
  for (const kind of ['perl', 'python3']) {
    // Only this kind's interpreter and script count as installed (notify-exec.pl for perl, .py for python3).
    const own = (f: string): boolean => f.includes(kind) || f.endsWith(kind === 'perl' ? '/notify-exec.pl' : '/notify-exec.py');
    const helper = notifyHelper(env, (f) => own(f) && existsSync(f));
    if (helper === null) {
      t.diagnostic(`${kind} is not installed: its helper is not tried`);
      continue;
    }
    const node = watch(helper[0], [...helper.slice(1), process.execPath, '-e', `require('node:fs').writeSync(Number(process.env.PADDOCK_NOTIFY_FD), 'STATUS=${kind}\\nREADY=1'); console.log(process.pid)`], { env });
    assert.equal(await node.exited, 0, node.err());
    const pid = Number(node.out().trim());
    const note = await waitFor(() => (systemd.lines() as unknown as Note[]).find((n) => n.fields?.STATUS === kind), 5000, `the message through ${kind}`);
    assert.equal(note.pid, pid, `${kind}: exec kept the pid`);
    assert.equal(note.pid, node.child.pid);
    tried++;
  }
  assert.ok(tried > 0, 'python3 is here, so at least its helper was tried');
  assert.equal(notifyHelper({ ...env, PADDOCK_NOTIFY_FD: '3' }), null, 'never twice');
  assert.equal(notifyHelper({}), null, 'not outside systemd');
});

test('the host raises its open-file limit to the hard limit at start, and says so', async (t) => {
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((f) => existsSync(f));
  if (prlimit === undefined) return t.skip('util-linux prlimit is not installed');
  const mine = readOpenFileLimit();
  const hard = Math.min(mine?.hard ?? 4096, 4096);
  const { dir, file } = writeConfigDir({ sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }], pools: { web: { command: helloCommand, startMode: 'AlwaysRunning' } } }, 'pdk-nofile-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = watch(prlimit, [`--nofile=256:${hard}`, '--', process.execPath, cliMain, 'run', '--config', file]);
  t.after(() => { if (host.child.exitCode === null) host.child.kill('SIGKILL'); });
  await waitFor(() => /serving 1 pools/.test(host.err()), 20_000, `the host to start:\n${host.err()}`);
  // Started at 256: Node raises its own soft limit as it starts, and the host checks and says so.
  assert.match(host.err(), new RegExp(`open-file limit (raised from 256 to ${hard} \\(the hard limit\\)|${hard} \\(the hard limit\\))`));
  assert.deepEqual(readOpenFileLimit(host.child.pid!), { soft: hard, hard });
  const event = /"event":7120[^\n]*/.exec(host.out())?.[0] ?? '';
  assert.match(event, new RegExp(`"details":\\{"soft":${hard},"hard":${hard},"was":(256|null),"problem":null\\}`));
  // A worker gets the raised limit too.
  const workerPid = Number((await waitFor(() => /"event":6002[^\n]*"pid":(\d+)/.exec(host.out()), 15_000, 'the worker ready'))[1]);
  assert.equal(readOpenFileLimit(workerPid)?.soft, hard);
  host.child.kill('SIGTERM');
  assert.equal(await host.exited, 0);
});
