import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from './find-program.ts';

test('a program is found on PATH or by its path; one that is missing or not executable is not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-prog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'tool'), 0o755);
  writeFileSync(join(dir, 'plain'), 'data');
  assert.equal(findProgram('tool', `/nonexistent:${dir}`, '/'), join(dir, 'tool'));
  assert.equal(findProgram('./tool', undefined, dir), join(dir, 'tool'));
  assert.equal(findProgram(join(dir, 'tool'), '', '/'), join(dir, 'tool'));
  assert.equal(findProgram('plain', dir, '/'), null, 'not executable');
  assert.equal(findProgram('php-cgi-not-installed', `${dir}:/usr/bin`, '/'), null);
  assert.equal(findProgram(dir, '', '/'), null, 'a folder is not a program');
});
