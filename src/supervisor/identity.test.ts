import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityError, identityTypeOf, nssEntry, nssIds, resolveIdentity, resolvePoolIdentity } from './identity.ts';

const pm = (over: Partial<{ identityType: 'ApplicationPoolIdentity' | 'SpecificUser' | 'HostIdentity' | null; user: string | null; group: string | null }>) => ({ identityType: null, user: null, group: null, ...over });

test('identityType defaults: SpecificUser with a user, else ApplicationPoolIdentity under root, else HostIdentity', () => {
  assert.equal(identityTypeOf(pm({ user: 'nobody' }), true), 'SpecificUser');
  assert.equal(identityTypeOf(pm({}), true), 'ApplicationPoolIdentity');
  assert.equal(identityTypeOf(pm({}), false), 'HostIdentity');
  assert.equal(identityTypeOf(pm({ identityType: 'HostIdentity' }), true), 'HostIdentity');
});

test('users and groups are looked up through NSS (getent), by name or number', () => {
  assert.equal(nssEntry('passwd', 'root')?.[2], '0');
  assert.equal(nssEntry('passwd', '0')?.[0], 'root');
  assert.equal(nssEntry('group', 'root')?.[2], '0');
  assert.equal(nssEntry('passwd', 'no-such-user-paddock'), null);
  // Every id at once, for the ApplicationPoolIdentity numbers to step around (one getent per database).
  const users = nssIds('passwd');
  assert.ok(users.has(0) && users.has(Number(nssEntry('passwd', 'nobody')?.[2])), 'root and nobody are among the users');
  assert.ok(nssIds('group').has(0));
  assert.throws(() => resolveIdentity('no-such-user-paddock', null), (e: unknown) => e instanceof IdentityError && /user 'no-such-user-paddock' does not exist/.test(e.message));
  assert.throws(() => resolveIdentity(null, 'no-such-group-paddock'), /group 'no-such-group-paddock' does not exist/);
});

test('an ApplicationPoolIdentity runs as its number with the same gid; a host that is not root cannot switch users', () => {
  assert.deepEqual(resolvePoolIdentity(pm({}), 61999, true), { type: 'ApplicationPoolIdentity', user: null, uid: 61999, group: null, gid: 61999 });
  assert.deepEqual(resolvePoolIdentity(pm({ group: 'root' }), 61999, true), { type: 'ApplicationPoolIdentity', user: null, uid: 61999, group: 'root', gid: 0 });
  assert.equal(resolvePoolIdentity(pm({}), null, false).uid, null, 'HostIdentity: the host itself');
  assert.throws(() => resolvePoolIdentity(pm({ user: 'root' }), null, false), /does not run as root and cannot switch to user 'root'/);
  assert.throws(() => resolvePoolIdentity(pm({ identityType: 'ApplicationPoolIdentity' }), 61999, false), /cannot switch to an ApplicationPoolIdentity/);
  assert.throws(() => resolvePoolIdentity(pm({}), null, true), /no free uid/);
});
