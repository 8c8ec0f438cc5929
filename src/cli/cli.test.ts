import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventLog, type PaddockEvent } from '../events/event-log.ts';
import { FakeHostControl } from '../admin/fake-host-control.ts';
import { startAdminServer, type AdminServer } from '../admin/admin-server.ts';


const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `paddock ARGS` as its own process (the server lives in this one, so never spawnSync). */
function paddock(args: readonly string[], env: Record<string, string | undefined> = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd,
      env: { ...process.env, PADDOCK_CONFIG: undefined, PADDOCK_TOKEN: undefined, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('paddock CLI against a host', () => {
  const token = 'cli-test-token';
  let dir: string;
  let events: EventLog;
  let control: FakeHostControl;
  let server: AdminServer;
  let socket: string;
  let admin: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-cli-'));
    events = EventLog.open(dir, { stdout: null });
    control = new FakeHostControl(dir, events);
    socket = join(dir, 'admin.sock');
    server = await startAdminServer(control, { socket, tcp: { host: '127.0.0.1', port: 0 }, token });
    admin = ['--admin', socket];
    events.write({ id: 6001, pool: 'web', worker: 'w1', pid: 4101, message: 'worker started' });
    events.write({ id: 5009, pool: 'api', worker: 'w1', pid: 4200, message: 'worker terminated unexpectedly (exit code 1)', details: { exitCode: 1 } });
  });

  after(async () => {
    await server.close();
    events.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pools --json prints exactly the API\'s pools', async () => {
    const r = await paddock(['pools', '--json', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), control.pools());
  });

  it('pools prints one line per pool with its state', async () => {
    const r = await paddock([...admin, 'pools']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^POOL\s+STATE\s+READY/);
    assert.match(lines[1], /^web\s+started\s+2\/2/);
    assert.match(lines[2], /^api\s+stopped \(rapidFail\)\s+0\/1 .* no$/);
  });

  it('pool NAME shows one pool; an unknown one fails with the API\'s message', async () => {
    const r = await paddock(['pool', 'api', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pool api$/m);
    assert.match(r.stdout, /refused:\s+AppOffline 3/);
    const json = await paddock(['pool', 'web', '--json', ...admin]);
    assert.deepEqual(JSON.parse(json.stdout), control.pool('web'));
    const missing = await paddock(['pool', 'nope', ...admin]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "paddock: pool 'nope' not found\n");
  });

  it('workers --json prints the workers with the documented fields', async () => {
    const r = await paddock(['workers', '--json', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    const workers = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.equal(workers.length, 2);
    for (const w of workers) {
      assert.deepEqual(Object.keys(w).sort(), ['cpuSeconds', 'health', 'id', 'inFlight', 'pid', 'pool', 'requests', 'rssBytes', 'startedAt', 'state']);
    }
    const table = await paddock(['workers', 'web', ...admin]);
    assert.match(table.stdout, /^WORKER\s+PID\s+STATE\s+HEALTH/);
    assert.match(table.stdout, /^w1\s+4101\s+ready\s+healthy\s.*50\.0 MiB\s+1\.5s$/m);
    assert.equal((await paddock(['workers', 'nope', ...admin])).code, 1);
  });

  it('events --json prints an array of events; filters reach the API', async () => {
    const r = await paddock(['events', '--json', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    const all = JSON.parse(r.stdout) as PaddockEvent[];
    assert.ok(Array.isArray(all) && all.length >= 2);
    for (const key of ['id', 'time', 'level', 'pool', 'worker', 'pid', 'message', 'details']) assert.ok(key in all[0], key);
    const api = JSON.parse((await paddock(['events', '--pool', 'api', '--since', '1h', '--json', ...admin])).stdout) as PaddockEvent[];
    assert.ok(api.length >= 1 && api.every((e) => e.pool === 'api'));
    const crashes = JSON.parse((await paddock(['events', '--id', '5009', '--limit', '1', '--json', ...admin])).stdout) as PaddockEvent[];
    assert.deepEqual(crashes.map((e) => e.message), ['worker terminated unexpectedly (exit code 1)']);
  });

  it('events prints a table: time, id, level, pool, worker, pid, message', async () => {
    const r = await paddock(['events', '--id', '5009', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    const [head, row] = r.stdout.trim().split('\n');
    assert.match(head, /^TIME\s+ID\s+LEVEL\s+POOL\s+WORKER\s+PID\s+MESSAGE$/);
    assert.match(row, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+5009\s+error\s+api\s+w1\s+4200\s+worker terminated unexpectedly \(exit code 1\)$/);
  });

  it('events --follow --json prints the backlog, then new events as they are written', async () => {
    const child = spawn(process.execPath, [MAIN, 'events', '--follow', '--json', '--pool', 'web', ...admin]);
    let out = '';
    const seen = (text: string): Promise<void> => new Promise((resolve) => {
      const check = (): void => { if (out.includes(text)) { child.stdout.off('data', onData); resolve(); } };
      const onData = (c: Buffer): void => { out += c.toString('utf8'); check(); };
      child.stdout.on('data', onData);
      check();
    });
    await seen('worker started');
    // The follower is subscribed once its backlog is out; a new event may still race the
    // subscription, which `after` covers: it is then sent from the backlog of the stream.
    events.write({ id: 6002, pool: 'web', worker: 'w1', pid: 4101, message: 'worker ready (followed)' });
    events.write({ id: 6002, pool: 'api', worker: 'w1', pid: 4200, message: 'other pool' });
    await seen('worker ready (followed)');
    child.kill();
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as PaddockEvent);
    assert.ok(lines.every((e) => e.pool === 'web'));
    assert.equal(lines.filter((e) => e.message === 'worker ready (followed)').length, 1);
  });

  it('start, stop and recycle run the command and report the pool', async () => {
    const stop = await paddock(['stop', 'web', ...admin]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^pool web: stopped \(admin\); 0 of 2 workers ready$/m);
    const refused = await paddock(['recycle', 'web', ...admin]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^paddock: pool 'web' is stopped/);
    const start = await paddock(['start', 'web', '--json', ...admin]);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(JSON.parse(start.stdout).state, 'started');
    const recycle = await paddock(['recycle', 'web', ...admin]);
    assert.equal(recycle.code, 0, recycle.stderr);
    assert.deepEqual(control.calls.slice(-3), ['stop web', 'start web', 'recycle web']);
  });

  it('reload prints what changed, or the errors and exit 1', async () => {
    control.reloadResult = { ok: true, added: ['new'], removed: [], changed: ['web'], applied: ['pools.new (added)', 'pools.web.queueLength'], waitsForRestart: ['listen', 'logs.maxBytes'] };
    const ok = await paddock(['reload', ...admin]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'reloaded: added new; removed none; changed web\napplied: pools.new (added), pools.web.queueLength\nwaits for a restart: listen, logs.maxBytes\n');
    control.reloadResult = { ok: false, errors: ['paddock.yaml:4:18: pools.web.queueLength: expected a whole number'] };
    const bad = await paddock(['reload', ...admin]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^paddock\.yaml:4:18: pools\.web\.queueLength/);
    const badJson = await paddock(['reload', '--json', ...admin]);
    assert.equal(badJson.code, 1);
    assert.equal(JSON.parse(badJson.stdout).ok, false);
  });

  it('status shows the host and its pools', async () => {
    const r = await paddock(['status', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^host: ok, pid ${process.pid}, up `));
    assert.match(r.stdout, /^web\s+started/m);
    const json = JSON.parse((await paddock(['status', '--json', ...admin])).stdout);
    assert.equal(json.health.status, 'ok');
    assert.equal(json.pools.length, 2);
  });

  it('logs POOL prints the last lines of the pool\'s log, and with --follow new ones', async () => {
    const file = join(dir, 'web.log');
    await writeFile(file, 'alpha\nbeta\ngamma\n');
    control.logFiles.set('web', file);
    const r = await paddock(['logs', 'web', '--lines', '2', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'beta\ngamma\n');

    const child = spawn(process.execPath, [MAIN, 'logs', 'web', '--lines', '1', '--follow', ...admin]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    const seen = (text: string): Promise<void> => new Promise((resolve) => {
      const check = (): void => { if (out.includes(text)) resolve(); else child.stdout.once('data', () => setImmediate(check)); };
      check();
    });
    await seen('gamma\n');
    await appendFile(file, 'delta\n');
    await seen('delta\n');
    child.kill();
    assert.equal(out, 'gamma\ndelta\n');
  });

  it('finds the admin socket through --config and $PADDOCK_CONFIG', async () => {
    const file = join(dir, 'paddock.yaml');
    await writeFile(file, `admin: { socket: ${JSON.stringify(socket)} }\npools:\n  web: { command: ["node", "server.js"] }\n`);
    const viaFlag = await paddock(['pools', '--json', '--config', file]);
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    const viaEnv = await paddock(['pools', '--json'], { PADDOCK_CONFIG: file });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const viaCwd = await paddock(['pools', '--json'], {}, dir);
    assert.equal(viaCwd.code, 0, viaCwd.stderr);
    // A file broken after the host started still leads to its socket, so reload can report why.
    await writeFile(file, `admin: { socket: ${JSON.stringify(socket)} }\npools:\n  web: { command: 7 }\n`);
    assert.equal((await paddock(['pools', '--config', file])).code, 0);
  });

  it('talks to the TCP listener with --admin URL and the token', async () => {
    const url = `http://127.0.0.1:${server.tcpPort}`;
    const withFlag = await paddock(['pools', '--json', '--admin', url, '--token', token]);
    assert.equal(withFlag.code, 0, withFlag.stderr);
    assert.equal(JSON.parse(withFlag.stdout).length, 2);
    const withEnv = await paddock(['workers', '--json', '--admin', url], { PADDOCK_TOKEN: token });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    const without = await paddock(['pools', '--admin', url]);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /token/);
  });

  it('exits 2 on usage errors', async () => {
    const usage = [['pool'], ['events', '--limit', 'many'], ['events', '--since', 'yesterday'], ['frobnicate']];
    const runs = await Promise.all(usage.map((args) => paddock([...args, ...admin])));
    runs.forEach((r, i) => assert.equal(r.code, 2, usage[i].join(' ')));
    const help = await paddock(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /events \[options\]/);
  });
});

describe('paddock CLI without a host', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-cli-'));
    // The apps' folder (their cwd): under root, pools run as an ApplicationPoolIdentity that must enter it.
    await chmod(dir, 0o711);
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('exits 3 and says no host is listening', async () => {
    const socket = join(dir, 'admin.sock');
    const commands = [['status'], ['pools', '--json'], ['events', '--follow']];
    const runs = await Promise.all(commands.map((args) => paddock([...args, '--admin', socket])));
    runs.forEach((r, i) => {
      assert.equal(r.code, 3, commands[i].join(' '));
      assert.equal(r.stderr, `paddock: no host is listening on ${socket} — is \`paddock run\` running?\n`);
    });
  });

  it('check prints "ok" for a good file and exits 0', async () => {
    const file = join(dir, 'good.yaml');
    await writeFile(file, [
      'pools:',
      '  web: { command: ["node", "server.js"] }',
      '  api: { command: ["node", "api.js"] }',
      'sites:',
      '  - name: shop',
      '    apps:',
      '      - { path: /, pool: web }',
      '      - { path: /api, pool: api }',
      '',
    ].join('\n'));
    const r = await paddock(['check', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok: 2 pools, 1 site\n');
  });

  it('check prints every error with its line and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, [
      'pools:',
      '  web:',
      '    command: ["node", "server.js"]',
      '    queueLength: lots',
      '    processModel: { pingInterval: soon }',
      '',
    ].join('\n'));
    const r = await paddock(['check', '--config', file]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: pools\\.web\\.queueLength: `, 'm'));
    assert.match(r.stderr, /:5:\d+: pools\.web\.processModel\.pingInterval: /m);
  });

  it('check warns about runtime node on a command that is not Node, and still exits 0', async () => {
    const file = join(dir, 'warn.yaml');
    await writeFile(file, 'pools:\n  py: { command: ["python3", "app.py"], runtime: node }\n  web: { command: ["node", "s.js"] }\n');
    const r = await paddock(['check', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok: 2 pools, 0 sites, 1 warning\n');
    assert.match(r.stderr, /warning: pools\.py\.runtime: runtime: node, but the command \(python3\) does not look like Node.*runtime: generic/);
    const json = JSON.parse((await paddock(['check', '--json', '--config', file])).stdout) as { ok: boolean; warnings: Array<{ path: string }> };
    assert.deepEqual(json.warnings.map((w) => w.path), ['pools.py.runtime']);
  });

  it('check fails for a missing file', async () => {
    const r = await paddock(['check', '--config', join(dir, 'missing.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such file/);
  });
});
