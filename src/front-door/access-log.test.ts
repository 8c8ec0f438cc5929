import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLog } from './access-log.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-access-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('refusals are appended one line each, with the reason', async (t) => {
  const file = join(tempDir(t), 'logs', 'access.log');
  const log = new AccessLog(file, () => assert.fail('no error expected'));
  log.refusal('127.0.0.1', 'GET', '/a', 'web', 503, 'QueueFull');
  log.refusal('127.0.0.1', 'GET', '/b', null, 0, 'AppOffline');
  log.close();
  await settle();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^\S+ 127\.0\.0\.1 GET \/a web 503 QueueFull$/);
  assert.match(lines[1], /^\S+ 127\.0\.0\.1 GET \/b - RESET AppOffline$/);
  assert.deepEqual(log.counts, { QueueFull: 1, AppOffline: 1 });
});

test('a full disk is reported once per streak, lines are dropped meanwhile, and the log records again when there is room', async (t) => {
  const file = join(tempDir(t), 'access.log');
  symlinkSync('/dev/full', file); // every write fails with ENOSPC
  const errors: Error[] = [];
  const log = new AccessLog(file, (err) => errors.push(err), { retryMs: 100 });
  log.refusal('c', 'GET', '/1', 'web', 503, 'QueueFull');
  await settle();
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /ENOSPC/);
  log.refusal('c', 'GET', '/2', 'web', 503, 'QueueFull'); // within retryMs: dropped, no report
  await settle(150);
  log.refusal('c', 'GET', '/3', 'web', 503, 'QueueFull'); // retried, fails again: still one report
  await settle();
  assert.equal(errors.length, 1, 'one report for the whole streak');

  unlinkSync(file);
  await settle(150);
  log.refusal('c', 'GET', '/4', 'web', 503, 'QueueFull');
  await settle();
  log.close();
  await settle();
  assert.match(readFileSync(file, 'utf8'), /GET \/4 web 503 QueueFull\n$/);
  assert.deepEqual(log.counts, { QueueFull: 4 });
});
