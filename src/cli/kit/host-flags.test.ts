import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandOf } from './host-flags.ts';

test('the command word skips options and their values', () => {
  assert.equal(commandOf(['run', '--config', 'x.yaml']), 'run');
  assert.equal(commandOf(['--config', 'run', 'status']), 'status');
  assert.equal(commandOf(['-c', 'f.yaml', '--json', 'run']), 'run');
  assert.equal(commandOf(['--json']), null);
});

test('paddock run re-executes itself with the host V8 flags and keeps its pid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-flags-'));
  try {
    const file = join(dir, 'paddock.yaml');
    writeFileSync(file, `dataDir: ${dir}\nlisten: ["127.0.0.1:0"]\n`);
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, 'run', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 15_000;
    while (!/serving/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(err, /serving/, 'the host started');
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--max-semi-space-size=16'), `the same pid runs with the flag: ${argv.join(' ')}`);
    child.kill('SIGTERM');
    await exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
