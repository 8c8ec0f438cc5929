import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDir, EnsureDirError } from './ensure-dir.ts';

test('makes a directory and its missing parents, and leaves one that exists alone', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pdk-dir-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const deep = join(root, 'a', 'b', 'c');
  ensureDir(deep, 'dataDir');
  assert.ok(statSync(deep).isDirectory());
  ensureDir(deep, 'dataDir');
  assert.ok(statSync(deep).isDirectory());
});

test('a path under /proc fails at once, naming the directory that could not be made and why', { skip: statSync('/proc', { throwIfNoEntry: false })?.isDirectory() ? false : 'no /proc on this system' }, () => {
  const started = Date.now();
  assert.throws(() => ensureDir('/proc/paddock-data/inner', 'dataDir'), (err: unknown) => {
    assert.ok(err instanceof EnsureDirError);
    assert.equal(err.path, '/proc/paddock-data');
    assert.equal(err.code, 'DirectoryFailed');
    assert.match(err.message, /^cannot create dataDir \/proc\/paddock-data\/inner: \/proc does not take a new directory \/proc\/paddock-data \(ENOENT/);
    return true;
  });
  assert.ok(Date.now() - started < 5_000);
});

test('a file in the way is named', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pdk-dir-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'f'), '');
  assert.throws(() => ensureDir(join(root, 'f', 'x'), 'dataDir'), /f exists and is not a directory/);
});
