import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessProblem, appAccess } from './identity-access.ts';
import { parseConfig } from '../config/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'pdk-access-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const stranger = { uid: 61234, gids: [61234] };

test('a uid of its own enters folders and reads files by their "other" bits, naming what stops it', () => {
  chmodSync(dir, 0o711);
  const open = join(dir, 'open');
  const closed = join(dir, 'closed');
  mkdirSync(open, { mode: 0o755 });
  mkdirSync(closed, { mode: 0o700 });
  writeFileSync(join(open, 'app.js'), 'x', { mode: 0o644 });
  writeFileSync(join(open, 'secret.js'), 'x', { mode: 0o600 });
  writeFileSync(join(closed, 'app.js'), 'x', { mode: 0o644 });
  chmodSync(join(open, 'secret.js'), 0o600);
  assert.equal(accessProblem(stranger, join(open, 'app.js'), 'read'), null);
  assert.match(accessProblem(stranger, join(open, 'secret.js'), 'read') ?? '', /uid 61234 cannot read .*secret\.js \(mode 0600/);
  assert.match(accessProblem(stranger, join(closed, 'app.js'), 'read') ?? '', new RegExp(`cannot enter ${closed} .*on the way to`));
  assert.match(accessProblem(stranger, closed, 'enter') ?? '', /cannot enter/);
  assert.equal(accessProblem({ uid: 61234, gids: [61234] }, join(open, 'missing.js'), 'read'), null, 'a missing file is for other checks');
});

test("a pool's app: its cwd, its program found on PATH as the identity can run it, its script", () => {
  const load = (yaml: string) => {
    const r = parseConfig(yaml, join(dir, 'paddock.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.config.pools.p;
  };
  const identity = { type: 'ApplicationPoolIdentity' as const, user: null, uid: 61234, group: null, gid: 61234 };
  const ok = appAccess(load(`pools:\n  p: { command: [sh, ${join(dir, 'open', 'app.js')}], cwd: ${join(dir, 'open')}, runtime: generic, env: { PATH: "${join(dir, 'closed')}:/usr/bin:/bin" } }\n`), identity);
  assert.equal(ok.problem, null);
  assert.match(ok.program ?? '', /\/bin\/sh$/, 'a PATH entry it cannot enter is passed over');
  assert.match(appAccess(load(`pools:\n  p: { command: [sh], cwd: ${join(dir, 'closed')}, runtime: generic }\n`), identity).problem ?? '', /^cwd: /);
  assert.match(appAccess(load(`pools:\n  p: { command: [sh, secret.js], cwd: ${join(dir, 'open')}, runtime: generic }\n`), identity).problem ?? '', /^script: .*secret\.js/);
  assert.deepEqual(appAccess(load(`pools:\n  p: { command: [sh, secret.js], cwd: ${join(dir, 'open')}, runtime: generic }\n`), { user: null, uid: null, group: null, gid: null }), { problem: null, program: null }, "the host's own identity: nothing to check");
});
