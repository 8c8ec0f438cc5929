import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coreFileMatcher, corePatternNote } from './core-dumps.ts';

test('core file names follow core_pattern and core_uses_pid', () => {
  const plain = coreFileMatcher({ pattern: 'core', piped: false, usesPid: false }, 42, '/srv/app');
  assert.equal(plain.dir, '/srv/app');
  assert.ok(plain.name.test('core'));
  assert.ok(!plain.name.test('core.42'));
  const withPid = coreFileMatcher({ pattern: 'core', piped: false, usesPid: true }, 42, '/srv/app');
  assert.ok(withPid.name.test('core.42'));
  assert.ok(!withPid.name.test('core.43'));
  const absolute = coreFileMatcher({ pattern: '/var/cores/core.%e.%p.%t', piped: false, usesPid: true }, 42, '/srv/app');
  assert.equal(absolute.dir, '/var/cores');
  assert.ok(absolute.name.test('core.node.42.1700000000'), 'an explicit %p is not doubled by core_uses_pid');
  assert.ok(!absolute.name.test('core.node.4242.1700000000'));
});

test('a piped core_pattern is said plainly, with where the cores went', () => {
  assert.equal(corePatternNote({ pattern: 'core', piped: false, usesPid: false }), null);
  const note = corePatternNote({ pattern: '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t', piped: true, usesPid: false });
  assert.match(note ?? '', /^core_pattern sends cores to \/usr\/lib\/systemd\/systemd-coredump \(see `coredumpctl list`\); no core captured/);
  assert.match(corePatternNote({ pattern: '|/usr/share/apport/apport -p%p', piped: true, usesPid: false }) ?? '', /apport \(see \/var\/crash\)/);
});
