/**
 * `paddock service install`: the systemd units it writes for a configuration, and that systemd's
 * own checker accepts them (`systemd-analyze verify`, where systemd is installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/test-host.ts';
import { cliMain, writeConfigDir } from './helpers/processes.ts';
import { execWord } from '../src/service/unit-file.ts';

function run(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }));
  });
}

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((f) => existsSync(f)) ?? null;

function config(listen: string[]): { dir: string; file: string } {
  return writeConfigDir({
    listen,
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: { command: ['node', 'server.js'], processModel: { shutdownTimeLimit: '2m' } }, api: { command: ['node', 'api.js'] } },
  }, 'pdk-unit-');
}

test('the service unit: Type=notify, reload, the host stops its workers, delegated cgroups, raised open-file limit', async (t) => {
  const { dir, file } = config(['127.0.0.1:8080']);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await run(process.execPath, [cliMain, 'service', 'install', '--print', '--config', file]);
  assert.equal(r.code, 0, r.stderr);
  const unit = r.stdout;
  for (const line of ['Type=notify', 'NotifyAccess=main', 'KillMode=mixed', 'KillSignal=SIGTERM', 'Delegate=yes', 'OOMPolicy=continue', 'LimitNOFILE=1048576', 'Restart=on-failure', 'WantedBy=multi-user.target', `WorkingDirectory=${dir}`]) {
    assert.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  }
  // The longest shutdownTimeLimit (2m) and a margin: systemd waits for the drain.
  assert.match(unit, /^TimeoutStopSec=135$/m);
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1].split(' ');
  assert.match(execStart[1], /notify-exec\.(pl|py)$/, 'started through the helper that opens the notification socket');
  assert.deepEqual(execStart.slice(2), [process.execPath, '--max-semi-space-size=16', join(repoRoot, 'bin/paddock.mjs'), 'run', '--config', file]);
  assert.match(unit, new RegExp(`^ExecReload=${process.execPath} ${join(repoRoot, 'bin/paddock.mjs')} reload --config ${file}$`, 'm'));
  assert.doesNotMatch(unit, /\.socket/, 'no socket unit unless asked');
});

test('--socket adds a socket unit with every binding; --dir writes both; systemd-analyze verify accepts them', async (t) => {
  const { dir, file } = config(['127.0.0.1:8080', ':8081', '[::1]:8082', 'https://127.0.0.1:8443']);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // An https binding needs a certificate to load; the unit does not read it.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, readFileSync(file, 'utf8') + `tls: { cert: ${join(dir, 'c.pem')}, key: ${join(dir, 'k.pem')} }\n`);
  const units = join(dir, 'units');
  mkdirSync(units);
  const r = await run(process.execPath, [cliMain, 'service', 'install', '--socket', '--name', 'shop', '--dir', units, '--config', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*shop\.service\nwrote .*shop\.socket\nnext: systemctl daemon-reload && systemctl enable --now shop\.socket shop\.service/);
  const service = readFileSync(join(units, 'shop.service'), 'utf8');
  const socket = readFileSync(join(units, 'shop.socket'), 'utf8');
  assert.match(service, /^Requires=shop\.socket$/m);
  assert.match(service, /^After=shop\.socket$/m);
  assert.deepEqual([...socket.matchAll(/^ListenStream=(.*)$/gm)].map((m) => m[1]), ['127.0.0.1:8080', '8081', '[::1]:8082', '127.0.0.1:8443']);
  assert.match(socket, /^Backlog=4096$/m);
  assert.equal(statSync(join(units, 'shop.service')).mode & 0o777, 0o644);

  if (analyze === null) {
    t.diagnostic('systemd-analyze is not installed: the units were not verified by systemd');
    return;
  }
  const v = await run(analyze, ['verify', join(units, 'shop.service'), join(units, 'shop.socket')]);
  const aboutOurs = v.stderr.split('\n').filter((l) => l.includes('shop.'));
  assert.deepEqual(aboutOurs, [], `systemd-analyze found nothing to say about the units:\n${v.stderr}`);
  assert.equal(v.code, 0, v.stderr);
});

test('a binding on port 0 cannot be socket-activated: said, and nothing is written', async (t) => {
  const { dir, file } = config(['127.0.0.1:0']);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await run(process.execPath, [cliMain, 'service', 'install', '--socket', '--dir', dir, '--config', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /127\.0\.0\.1:0 asks for a random port/);
  assert.ok(!existsSync(join(dir, 'paddock.service')));
  const bad = await run(process.execPath, [cliMain, 'service', 'install', '--dir', join(dir, 'missing'), '--config', file]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot write .*paddock\.service/);
});

test('Exec words are quoted for systemd: spaces, quotes, % and $', () => {
  assert.equal(execWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(execWord('/srv/my site/paddock.yaml'), '"/srv/my site/paddock.yaml"');
  assert.equal(execWord('a"b'), '"a\\"b"');
  assert.equal(execWord('100%'), '100%%');
  assert.equal(execWord('$HOME'), '"$$HOME"');
});
