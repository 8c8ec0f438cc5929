import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fixtures, get, repoRoot, waitFor, alive } from './helpers/test-host.ts';

const cli = join(repoRoot, 'src/cli/main.ts');

function writeConfig(dir: string): string {
  const file = join(dir, 'paddock.yaml');
  writeFileSync(file, stringify({
    dataDir: dir,
    listen: ['127.0.0.1:0'],
    admin: { socket: join(dir, 'admin.sock') },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'node' }, { path: '/generic', pool: 'generic' }] }],
    pools: {
      node: { command: ['node', join(fixtures, 'hello.mjs')], startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } },
      // No control channel: only the parent-death signal ties it to the host.
      generic: { command: ['node', join(fixtures, 'ignore-sigterm.mjs')], runtime: 'generic', startMode: 'AlwaysRunning', processModel: { shutdownTimeLimit: '1s' } },
    },
  }));
  return file;
}

async function startHostProcess(file: string): Promise<{ child: ReturnType<typeof spawn>; port: number; pids: number[] }> {
  const child = spawn(process.execPath, [cli, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const port = await waitFor(() => {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    return m ? Number(m[1]) : null;
  }, 15_000, 'host started');
  const pids = await waitFor(() => {
    const ready = [...out.matchAll(/"event":6002[^\n]*"pid":(\d+)/g)].map((m) => Number(m[1]));
    return ready.length >= 3 ? ready : null;
  }, 15_000, 'three workers ready');
  return { child, port, pids };
}

test('the host killed with SIGKILL leaves no worker behind, with or without a control channel', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-'));
  try {
    const { child, port, pids } = await startHostProcess(writeConfig(dir));
    assert.equal((await get(`http://127.0.0.1:${port}/generic`)).body, 'stubborn');
    assert.ok(pids.every(alive));
    child.kill('SIGKILL');
    await waitFor(() => pids.every((p) => !alive(p)), 10_000, `workers ${pids.join(',')} to exit`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM drains every pool and the host exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-'));
  try {
    const { child, pids } = await startHostProcess(writeConfig(dir));
    const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    assert.equal(await code, 0);
    assert.ok(pids.every((p) => !alive(p)), 'no worker outlives the host');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad config is refused with its line, and nothing starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-'));
  try {
    const file = join(dir, 'paddock.yaml');
    writeFileSync(file, [
      'listen: ["127.0.0.1:0"]',
      `dataDir: ${dir}`,
      'pools:',
      '  web:',
      '    command: ["node", "x.js"]',
      '    processModel:',
      '      pingIntervall: 5s',
      '',
    ].join('\n'));
    const r = spawnSync(process.execPath, [cli, 'run', '--config', file], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /paddock\.yaml:7:\d+: pools\.web\.processModel/);
    assert.match(r.stderr, /did you mean 'pingInterval'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
