/**
 * Start-up never hangs, and a diagnostic store never stops the service: a dataDir that cannot be
 * made fails fast with its reason; a damaged events.db or crash index is moved aside, a fresh one
 * opened, an event says so, and every pool serves.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventIds } from '../src/events/event-ids.ts';
import { cliMain, watch, writeConfigDir } from './helpers/processes.ts';
import { startHostProcess, type HostProcess } from './helpers/host-process.ts';
import { get, helloPool, oneSite } from './helpers/test-host.ts';

const dirs: string[] = [];
const hosts: HostProcess[] = [];
after(async () => {
  for (const h of hosts) await h.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const procMissing = statSync('/proc', { throwIfNoEntry: false })?.isDirectory() ? false : 'no /proc on this system';

test('a dataDir under /proc fails at once, saying which directory cannot be made and why', { skip: procMissing }, async () => {
  const { dir, file } = writeConfigDir({ pools: { web: helloPool() }, sites: oneSite('web') }, 'pdk-proc-');
  dirs.push(dir);
  // The admin socket stays in the temp folder: only dataDir is impossible.
  writeFileSync(file, (await import('yaml')).stringify({ dataDir: '/proc/paddock-data/inner', listen: ['127.0.0.1:0'], admin: { socket: join(dir, 'admin.sock') }, pools: { web: helloPool() }, sites: oneSite('web') }));
  const started = Date.now();
  const w = watch(process.execPath, [cliMain, 'run', '--config', file]);
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
  const code = await w.exited;
  clearTimeout(timer);
  assert.notEqual(code, 0, 'the host does not start');
  assert.notEqual(code, null, `the host exited by itself, in ${Date.now() - started} ms`);
  assert.match(w.err(), /cannot create dataDir \/proc\/paddock-data\/inner: \/proc does not take a new directory \/proc\/paddock-data \(ENOENT/);
  assert.match(w.err(), /nothing was started/);
});

test('a damaged events.db and a damaged crash index are moved aside with an event each, and every pool serves', async () => {
  const { dir, file } = writeConfigDir({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/web', pool: 'web' }, { path: '/other', pool: 'other' }] }],
    pools: { web: helloPool(), other: helloPool() },
  }, 'pdk-corrupt-');
  dirs.push(dir);
  writeFileSync(join(dir, 'events.db'), Buffer.alloc(16384, 0x42));
  mkdirSync(join(dir, 'crashes'), { recursive: true });
  writeFileSync(join(dir, 'crashes', 'index.db'), Buffer.alloc(8192, 0x43));
  const h = await startHostProcess(file);
  hosts.push(h);
  const events = h.events(EventIds.EventLogMovedAside);
  assert.equal(events.length, 1, 'one event for the event log');
  const movedEvents = String((events[0].details as Record<string, unknown>).movedTo);
  assert.match(movedEvents, /events\.db\.corrupt-\d{8}T\d{6}Z$/);
  assert.ok(existsSync(movedEvents));
  const crash = await h.waitEvent(EventIds.CrashIndexMovedAside, 'the crash index event');
  const movedIndex = String((crash.details as Record<string, unknown>).movedTo);
  assert.ok(existsSync(movedIndex), movedIndex);
  assert.ok(readdirSync(join(dir, 'crashes')).includes('index.db'), 'a fresh index is in place');
  for (let i = 0; i < 20; i++) {
    for (const pool of ['web', 'other']) {
      const r = await get(`${h.url}/${pool}`);
      assert.equal(r.status, 200, `${pool}: ${r.status} ${r.body}`);
    }
  }
  // The fresh event log stores events: the admin API answers from it.
  const status = watch(process.execPath, [cliMain, 'events', '--config', file, '--json', '--id', String(EventIds.EventLogMovedAside)]);
  assert.equal(await status.exited, 0, status.err());
  const stored = JSON.parse(status.out()) as Array<{ id: number }>;
  assert.deepEqual(stored.map((e) => e.id), [EventIds.EventLogMovedAside]);
});
