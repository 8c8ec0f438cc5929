import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { startTestHost, get, helloPool, type TestHost } from './helpers/test-host.ts';
import { EventIds } from '../src/events/event-ids.ts';

const root = process.getuid?.() === 0;
let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'ghost' }, { path: '/nobody', pool: 'nobody' }, { path: '/other', pool: 'other' }] }],
    pools: {
      ghost: helloPool({ processModel: { user: 'no-such-user-paddock' } }),
      nobody: helloPool({ processModel: { user: 'nobody' } }),
      other: helloPool(),
    },
  });
  // The test's data folder is private (0700); a worker running as nobody must reach its socket folder.
  chmodSync(h.dir, 0o711);
});
after(() => h?.stop());

test('a pool whose user does not exist is stopped (5021) and answers 503 AppOffline; the others serve', async () => {
  const r = await get(`${h.url}/`);
  assert.equal(r.status, 503);
  assert.match(r.body, /AppOffline/);
  const e = await h.waitForEvent(EventIds.IdentityInvalid, 'ghost');
  assert.match(e.message, /no-such-user-paddock/);
  assert.equal(h.host.supervisor.pool('ghost').stopReason, 'identity');
  assert.equal((await get(`${h.url}/other`)).status, 200);
});

test('a pool with a user runs its worker as that user', { skip: !root && 'switching users needs root' }, async () => {
  const r = await get(`${h.url}/nobody`);
  assert.equal(r.status, 200, r.body);
  const pid = Number(/pid (\d+)/.exec(r.body)?.[1]);
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':')[2];
  assert.equal(uid, nobody);
});
