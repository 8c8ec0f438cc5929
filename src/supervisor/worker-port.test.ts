import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/index.ts';
import type { PoolConfig } from '../config/types.ts';
import { buildSpawnSpec } from './spawn-spec.ts';
import { expandPort, portValue, socketAlias, withPortAlias } from './worker-port.ts';
import { workerArgv } from './worker-argv.ts';

function pool(yaml: string): PoolConfig {
  const r = parseConfig(`pools:\n  p:\n${yaml.replace(/^/gm, '    ')}\n`, '/srv/site/paddock.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config.pools.p;
}

test('{port}, $PORT and ${PORT} are replaced in arguments, without a shell', () => {
  assert.deepEqual(expandPort(['php', '-S', '127.0.0.1:{port}', '-t', 'public'], '40123'), ['php', '-S', '127.0.0.1:40123', '-t', 'public']);
  assert.deepEqual(expandPort(['flask', 'run', '--port', '$PORT'], '5001'), ['flask', 'run', '--port', '5001']);
  assert.deepEqual(expandPort(['gunicorn', '--bind=127.0.0.1:${PORT}', 'app:app'], '8001'), ['gunicorn', '--bind=127.0.0.1:8001', 'app:app']);
  assert.deepEqual(expandPort(['echo', '$PORTS', '$PORT_X', '{Port}', '$port'], '1'), ['echo', '$PORTS', '$PORT_X', '{Port}', '$port'], 'only the exact names');
  assert.deepEqual(expandPort(['gunicorn', '--bind', 'unix:{port}'], '/run/p/w.sock'), ['gunicorn', '--bind', 'unix:/run/p/w.sock']);
});

test('what PORT holds: a port number, or a socket path, and a Node worker\'s socket behind a number', () => {
  assert.equal(portValue({ port: 4000 }), '4000');
  assert.equal(portValue({ path: '/run/w.sock' }), '/run/w.sock');
  assert.equal(portValue({ path: '/run/w.sock', portAlias: 4001 }), '4001');
  assert.equal(socketAlias({ path: '/run/w.sock', portAlias: 4001 }), '/run/w.sock');
  assert.equal(socketAlias({ path: '/run/w.sock' }), null);
  assert.equal(socketAlias({ port: 4000 }), null);
});

test('a Node pool on a unix socket gets a free port number beside the socket; others keep their address', async () => {
  const node = pool('command: [node, server.js]');
  const aliased = await withPortAlias(node, { path: '/run/w.sock' });
  assert.ok('path' in aliased && aliased.path === '/run/w.sock' && (aliased.portAlias ?? 0) > 0);
  const generic = pool('command: [python3, app.py]\nlisten: unix');
  assert.deepEqual(await withPortAlias(generic, { path: '/run/w.sock' }), { path: '/run/w.sock' });
  assert.deepEqual(await withPortAlias(node, { port: 4000 }), { port: 4000 });
});

test('the spawn spec carries PORT, PADDOCK_SOCKET and the expanded argv', () => {
  const base = { workerId: 'p-1', identity: { user: null, uid: null, group: null, gid: null }, nodeOptions: [], extraEnv: {}, baseEnv: { PATH: '/usr/bin', PADDOCK_SOCKET: '/stale', LISTEN_FDS: '1' } } as const;
  const node = buildSpawnSpec({ ...base, pool: pool('command: [node, server.js, --port, "{port}"]'), address: { path: '/run/p-1.sock', portAlias: 40123 } });
  assert.equal(node.env.PORT, '40123');
  assert.equal(node.env.PADDOCK_SOCKET, '/run/p-1.sock');
  assert.deepEqual(node.args.slice(node.args.indexOf('--') + 1), [process.execPath, 'server.js', '--port', '40123']);
  const php = buildSpawnSpec({ ...base, pool: pool('command: [php, -S, "127.0.0.1:{port}"]'), address: { port: 40124 } });
  assert.equal(php.env.PORT, '40124');
  assert.equal(php.env.PADDOCK_SOCKET, undefined, "the host's own PADDOCK_ variables never reach a worker");
  assert.deepEqual(php.args.slice(php.args.indexOf('--') + 1), ['php', '-S', '127.0.0.1:40124']);
});

test('runtime node runs a script named as the program with the host\'s Node', () => {
  assert.deepEqual(workerArgv(pool('command: [server.mjs, --x]'), '1', '/n'), ['/n', 'server.mjs', '--x']);
  assert.deepEqual(workerArgv(pool('command: [node, s.js]'), '1', '/n'), ['/n', 's.js']);
  assert.deepEqual(workerArgv(pool('command: [npm, start]'), '1', '/n'), ['npm', 'start']);
  assert.deepEqual(workerArgv(pool('command: [./run.js]\nruntime: generic'), '1', '/n'), ['./run.js']);
});
