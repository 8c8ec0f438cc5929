import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/index.ts';
import type { PoolConfig } from '../config/types.ts';
import { buildSpawnSpec, setprivPath } from './spawn-spec.ts';

function pool(yaml: string): PoolConfig {
  const r = parseConfig(`pools:\n  p:\n${yaml.split('\n').map((l) => `    ${l}`).join('\n')}\n`, '/srv/paddock.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config.pools.p;
}

test('an ApplicationPoolIdentity worker starts with its uid and gid, no groups and no_new_privs; a SpecificUser keeps its groups', { skip: setprivPath === null && 'setpriv is not installed' }, () => {
  const base = { workerId: 'p-1', nodeOptions: [], extraEnv: {}, baseEnv: { PATH: '/usr/bin' }, pool: pool('command: [python3, app.py]'), address: { port: 40125 } } as const;
  const dynamic = buildSpawnSpec({ ...base, identity: { type: 'ApplicationPoolIdentity', user: null, uid: 61500, group: null, gid: 61500 }, program: '/usr/bin/python3' });
  assert.deepEqual(dynamic.args.slice(0, dynamic.args.indexOf('--')), ['--pdeathsig', 'KILL', '--reuid', '61500', '--regid', '61500', '--clear-groups', '--no-new-privs']);
  assert.deepEqual(dynamic.args.slice(dynamic.args.indexOf('--') + 1), ['/usr/bin/python3', 'app.py'], 'the program file the identity was checked against');
  const named = buildSpawnSpec({ ...base, identity: { type: 'SpecificUser', user: 'nobody', uid: 65534, group: null, gid: 65534 } });
  assert.deepEqual(named.args.slice(0, named.args.indexOf('--')), ['--pdeathsig', 'KILL', '--reuid', '65534', '--init-groups', '--regid', '65534']);
  assert.deepEqual(named.args.slice(named.args.indexOf('--') + 1), ['python3', 'app.py']);
  const host = buildSpawnSpec({ ...base, identity: { type: 'HostIdentity', user: null, uid: null, group: null, gid: null } });
  assert.deepEqual(host.args.slice(0, host.args.indexOf('--')), ['--pdeathsig', 'KILL']);
});

test('a pool with coreDumps raises its workers\' core limit before the command runs; the limit reaches the command', async () => {
  const { execFileSync } = await import('node:child_process');
  const base = { workerId: 'p-1', nodeOptions: [], extraEnv: {}, baseEnv: { PATH: '/usr/bin:/bin' }, address: { port: 40125 }, identity: { type: 'HostIdentity', user: null, uid: null, group: null, gid: null } } as const;
  const spec = buildSpawnSpec({ ...base, pool: pool('command: [/bin/sh, -c, "ulimit -S -c"]\ndiagnostics: { coreDumps: true }') });
  const hard = execFileSync('/bin/sh', ['-c', 'ulimit -H -c'], { encoding: 'utf8' }).trim();
  // Started with a soft limit of 0, as a host's workers are by default.
  const soft = execFileSync('/bin/sh', ['-c', 'ulimit -S -c 0; exec "$@"', 'probe', spec.file, ...spec.args], { encoding: 'utf8', env: spec.env }).trim();
  assert.equal(soft, hard, 'the command sees its soft core limit at the hard limit');
  const plain = buildSpawnSpec({ ...base, pool: pool('command: [/bin/sh, -c, "ulimit -S -c"]') });
  assert.ok(!plain.args.includes('paddock-cores'), 'without coreDumps nothing is added');
});
