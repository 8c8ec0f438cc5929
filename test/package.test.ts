/**
 * The npm package as a user gets it: `npm pack` (which builds dist/ at prepack), installed with
 * `npm install -g --prefix DIR` into a scratch prefix, then run from a folder outside the checkout
 * with the example configuration, answered over HTTP, and stopped with `paddock shutdown`.
 * Dependencies come from npm's cache when it has them (`--prefer-offline`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { get, repoRoot, waitFor, alive } from './helpers/test-host.ts';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; never rejects (the exit code is part of the answer). */
function run(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };

test('the packed tarball installs with npm install -g and runs the example from any folder', async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'pdk-pkg-'));
  // Under root the example's pool runs as an ApplicationPoolIdentity, which must reach the installed package and the app.
  chmodSync(scratch, 0o711);
  t.after(() => rmSync(scratch, { recursive: true, force: true }));

  // npm pack: prepack builds dist/; the tarball lists what a user gets.
  const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: repoRoot });
  assert.equal(packed.code, 0, `npm pack failed:\n${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = info.files.map((f) => f.path);
  for (const gone of ['test/', 'bench/', '.ci/', 'src/', 'scripts/']) {
    assert.deepEqual(paths.filter((p) => p.startsWith(gone)), [], `the tarball carries nothing under ${gone}`);
  }
  for (const needed of ['bin/paddock.mjs', 'dist/cli/main.js', 'dist/config/load-child.js', 'dist/worker-sdk/node/index.mjs', 'dist/admin/dashboard/dashboard.html', 'examples/paddock.yaml']) {
    assert.ok(paths.includes(needed), `the tarball has ${needed}`);
  }
  assert.deepEqual(paths.filter((p) => p.endsWith('.ts')), [], 'no TypeScript: Node does not strip types under node_modules');

  // npm install -g into a scratch prefix; dependencies from the cache when it has them.
  const prefix = join(scratch, 'prefix');
  const installed = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(scratch, info.filename)], { cwd: scratch });
  assert.equal(installed.code, 0, `npm install -g failed:\n${installed.stderr}`);
  const paddock = join(prefix, 'bin', 'paddock');
  const home = join(prefix, 'lib', 'node_modules', pkg.name);
  assert.ok(existsSync(paddock), 'npm linked the paddock command');

  // The command finds Node 24 on PATH like any user's shell would.
  const env = { ...process.env, PATH: [dirname(process.execPath), join(prefix, 'bin'), process.env.PATH ?? ''].join(delimiter) };
  const away = join(scratch, 'elsewhere');
  mkdirSync(away);
  const version = await run(paddock, ['--version'], { cwd: away, env });
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), pkg.version);

  // The unit it writes runs this installation: its Node, its launcher, its notification helper.
  const unit = await run(paddock, ['service', 'install', '--print', '--config', join(home, 'examples', 'paddock.yaml')], { cwd: away, env });
  assert.equal(unit.code, 0, unit.stderr);
  const execStart = /^ExecStart=(.*)$/m.exec(unit.stdout)![1].split(' ');
  assert.ok(execStart.includes(join(home, 'bin', 'paddock.mjs')), unit.stdout);
  assert.ok(execStart.includes(process.execPath), unit.stdout);
  assert.ok(execStart[1] === join(home, 'dist', 'service', 'notify-exec.pl') || execStart[1] === join(home, 'dist', 'service', 'notify-exec.py'), unit.stdout);
  assert.ok(existsSync(execStart[1]), `${execStart[1]} is in the package`);

  // paddock/worker resolves through the package's exports for an app that depends on paddock.
  const app = join(scratch, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(home, join(app, 'node_modules', pkg.name));
  writeFileSync(join(app, 'probe.mjs'), "import { reportUnhealthy, isManaged } from 'paddock/worker';\nconsole.log(typeof reportUnhealthy, isManaged(), reportUnhealthy('x'));\n");
  const probe = await run(process.execPath, ['probe.mjs'], { cwd: app, env });
  assert.equal(probe.stdout.trim(), 'function false false', probe.stderr);

  // The example, copied out of the installed package, on a free port and its own dataDir.
  const site = join(scratch, 'site');
  cpSync(join(home, 'examples'), site, { recursive: true });
  const config = parse(readFileSync(join(site, 'paddock.yaml'), 'utf8')) as Record<string, unknown>;
  config.listen = ['127.0.0.1:0'];
  config.dataDir = join(scratch, 'data');
  config.admin = { socket: join(scratch, 'data', 'admin.sock') };
  writeFileSync(join(site, 'paddock.yaml'), stringify(config));

  const host = spawn(paddock, ['run', '--config', join(site, 'paddock.yaml')], { cwd: away, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  host.stdout.on('data', (c) => (out += c));
  host.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => host.on('exit', (code) => resolve(code)));
  t.after(() => { if (host.exitCode === null) host.kill('SIGKILL'); });
  const base = await waitFor(() => /serving \d+ pools on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1], 20_000, `the installed host to start; output so far:\n${out}`);

  const home_ = await get(`${base}/`);
  assert.equal(home_.status, 200, home_.body);
  assert.match(home_.body, /served by worker <code>web-\d+<\/code>/);
  const time = await get(`${base}/api/time`);
  assert.equal(time.status, 200, time.body);
  assert.ok(!Number.isNaN(Date.parse((JSON.parse(time.body) as { now: string }).now)), time.body);
  const py = await get(`${base}/py/`);
  assert.equal(py.status, 200, py.body);

  // The installed host is the very process that was started: no re-spawned Node behind it.
  const status = await run(paddock, ['--config', join(site, 'paddock.yaml'), '--json', 'status'], { cwd: away, env });
  assert.equal(status.code, 0, status.stderr);
  const { health, pools } = JSON.parse(status.stdout) as { health: { pid: number }; pools: Array<{ workers: Array<{ pid: number | null }> }> };
  assert.equal(health.pid, host.pid, 'the host is the process the paddock command started');
  const workers = pools.flatMap((p) => p.workers);
  assert.ok(workers.length >= 2, `workers listed: ${status.stdout}`);

  const stopped = await run(paddock, ['--config', join(site, 'paddock.yaml'), 'shutdown'], { cwd: away, env, timeoutMs: 30_000 });
  assert.equal(stopped.code, 0, `paddock shutdown: ${stopped.stderr}`);
  assert.equal(await exited, 0, out);
  for (const w of workers) if (w.pid !== null) assert.ok(!alive(w.pid), `worker ${w.pid} stopped with the host`);
});
