import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatConfigError, loadConfig, parseConfig } from './load.ts';
import type { ConfigError } from './load.ts';
import type { HostConfig } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'paddock-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes `text` to a real file and loads it the way the host does. */
function load(text: string) {
  const file = join(dir, `paddock-${++fileCount}.yaml`);
  writeFileSync(file, text);
  return { file, result: loadConfig(file) };
}

function ok(text: string): HostConfig {
  const { result } = load(text);
  if (!result.ok) assert.fail(`expected a valid file, got:\n${result.errors.map((e) => formatConfigError(e, 'f')).join('\n')}`);
  return result.config;
}

function errors(text: string): ConfigError[] {
  const { result } = load(text);
  if (result.ok) assert.fail('expected errors, the file was accepted');
  return result.errors;
}

/** 1-based line of the first line of `text` that contains `marker`. */
function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `marker ${marker} not in text`);
  return i + 1;
}

function find(errs: readonly ConfigError[], path: string): ConfigError {
  const e = errs.find((x) => x.path === path);
  assert.ok(e, `no error at ${path}; got ${errs.map((x) => x.path).join(', ')}`);
  return e;
}

const MINIMAL = `
sites:
  - name: shop
    apps: [{ path: /, pool: web }]
pools:
  web:
    command: ["node", "server.js"]
`;

describe('loadConfig: defaults', () => {
  it("applies IIS's defaults to a pool that sets only its command", () => {
    const { file, result } = load(MINIMAL);
    assert.ok(result.ok);
    const config = result.config;
    const web = config.pools.web;
    assert.equal(web.name, 'web');
    assert.deepEqual(web.command, ['node', 'server.js']);
    assert.equal(web.processModel.pingInterval, 30_000);
    assert.equal(web.processModel.pingResponseTime, 90_000);
    assert.equal(web.processModel.startupTimeLimit, 90_000);
    assert.equal(web.processModel.shutdownTimeLimit, 90_000);
    assert.equal(web.processModel.idleTimeout, 1_200_000);
    assert.equal(web.processModel.maxProcesses, 1);
    assert.equal(web.recycling.periodicRestart.time, 104_400_000);
    assert.equal(web.failure.rapidFailProtectionMaxCrashes, 5);
    assert.equal(web.failure.rapidFailProtectionInterval, 300_000);
    assert.equal(web.failure.loadBalancerCapabilities, 'HttpLevel');
    assert.equal(web.queueLength, 1000);
    assert.equal(web.startMode, 'OnDemand');
    assert.equal(web.runtime, 'node');
    assert.equal(web.listen, 'unix');
    assert.equal(web.cpu.action, 'NoAction');
    assert.equal(web.diagnostics.crashReports, true);
    assert.equal(web.cwd, dir, 'cwd defaults to the config file folder');
    assert.equal(config.file, file);
    assert.equal(config.dataDir, join(dir, '.paddock'));
    assert.equal(config.admin.socket, join(dir, '.paddock', 'admin.sock'));
    assert.deepEqual(config.admin, { socket: join(dir, '.paddock', 'admin.sock'), tcp: null, token: null, hosts: [] });
    assert.equal(web.processModel.identityType, null, 'identityType defaults by the host (root or not) and user');
    assert.deepEqual(config.listen, [{ host: '127.0.0.1', port: 8080, tls: false }]);
    assert.deepEqual(config.logs, { maxBytes: 10 * 1024 * 1024, maxFiles: 5, accessFormat: 'w3c', includeQueryStrings: false });
    assert.deepEqual(config.sites[0].hosts, ['*']);
  });

  it('accepts an empty file as a host with default bindings and nothing to serve', () => {
    const config = ok('');
    assert.deepEqual(config.pools, {});
    assert.deepEqual(config.sites, []);
  });
});

describe('loadConfig: units and resolution', () => {
  it('reads durations, memory sizes and CPU limits in every form', () => {
    const config = ok(`
pools:
  web:
    command: [node, app.js, --port, 80]
    processModel: { pingInterval: 00:01:30, pingResponseTime: 2m, idleTimeout: 0, startupTimeLimit: 1500 }
    recycling:
      periodicRestart: { privateMemory: 512MB, memory: 2048, schedule: ["03:00", "03:30:00", "0 */6 * * *"] }
      logEventOnRecycle: "Time, Memory"
    cpu: { limit: 25%, action: KillW3wp }
logs: { maxBytes: 1MiB }
`);
    const web = config.pools.web;
    assert.deepEqual(web.command, ['node', 'app.js', '--port', '80']);
    assert.equal(web.processModel.pingInterval, 90_000);
    assert.equal(web.processModel.pingResponseTime, 120_000);
    assert.equal(web.processModel.idleTimeout, 0);
    assert.equal(web.processModel.startupTimeLimit, 1500);
    assert.equal(web.recycling.periodicRestart.privateMemory, 512 * 1024 * 1024);
    assert.equal(web.recycling.periodicRestart.memory, 2048 * 1024);
    assert.deepEqual(web.recycling.periodicRestart.schedule, ['03:00', '03:30:00', '0 */6 * * *']);
    assert.deepEqual(web.recycling.logEventOnRecycle, ['Time', 'Memory']);
    assert.equal(web.cpu.limit, 25_000);
    assert.equal(config.logs.maxBytes, 1024 * 1024);
  });

  it('resolves paths, lower-cases hosts and normalises app paths', () => {
    const config = ok(`
dataDir: state
listen: ["[::1]:9000", ":8081"]
admin: { socket: ctl.sock, tcp: "127.0.0.1:9180", token: s3cret-token }
sites:
  - name: shop
    hosts: [Shop.Example, "*.Example"]
    apps:
      - { path: /api/, pool: web }
      - { path: //, pool: web }
pools:
  web: { command: [node, s.js], cwd: apps/web, env: { PORT_OFFSET: 3, DEBUG: true, NAME: x } }
`);
    assert.equal(config.dataDir, join(dir, 'state'));
    assert.equal(config.admin.socket, join(dir, 'state', 'ctl.sock'));
    assert.deepEqual(config.admin.tcp, { host: '127.0.0.1', port: 9180, tls: false });
    assert.equal(config.admin.token, 's3cret-token');
    assert.deepEqual(config.listen, [{ host: '::1', port: 9000, tls: false }, { host: '', port: 8081, tls: false }]);
    assert.deepEqual(config.sites[0].hosts, ['shop.example', '*.example']);
    assert.deepEqual(config.sites[0].apps.map((a) => a.path), ['/api', '/']);
    assert.equal(config.pools.web.cwd, join(dir, 'apps', 'web'));
    assert.deepEqual(config.pools.web.env, { PORT_OFFSET: '3', DEBUG: 'true', NAME: 'x' });
  });

  it('treats an empty section or pool as all defaults', () => {
    const config = ok(`
applicationPoolDefaults:
  command: [node, server.js]
pools:
  web:
  api: { processModel: }
`);
    assert.deepEqual(Object.keys(config.pools), ['web', 'api']);
    assert.equal(config.pools.api.processModel.pingInterval, 30_000);
    assert.deepEqual(config.pools.web.command, ['node', 'server.js']);
  });
});

describe('loadConfig: applicationPoolDefaults', () => {
  it('merges defaults into every pool, the pool winning key by key; lists are replaced', () => {
    const config = ok(`
applicationPoolDefaults:
  command: [node, server.js]
  env: { NODE_ENV: production, LEVEL: info }
  queueLength: 50
  processModel: { pingInterval: 10s, maxProcesses: 2 }
  recycling:
    periodicRestart: { schedule: ["03:00"], privateMemory: 1GB }
  failure: { loadBalancerCapabilities: TcpLevel }
pools:
  web:
    processModel: { maxProcesses: 4 }
  api:
    command: [python3, app.py]
    env: { LEVEL: debug }
    recycling:
      periodicRestart: { schedule: [] }
`);
    const { web, api } = config.pools;
    assert.deepEqual(web.command, ['node', 'server.js']);
    assert.equal(web.processModel.maxProcesses, 4, 'the pool wins');
    assert.equal(web.processModel.pingInterval, 10_000, 'the sibling key is inherited');
    assert.equal(web.processModel.pingResponseTime, 90_000, 'untouched keys keep IIS defaults');
    assert.equal(web.queueLength, 50);
    assert.equal(web.failure.loadBalancerCapabilities, 'TcpLevel');
    assert.deepEqual(web.recycling.periodicRestart.schedule, ['03:00']);
    assert.equal(web.recycling.periodicRestart.privateMemory, 1024 ** 3);

    assert.deepEqual(api.command, ['python3', 'app.py']);
    assert.deepEqual(api.env, { NODE_ENV: 'production', LEVEL: 'debug' });
    assert.deepEqual(api.recycling.periodicRestart.schedule, [], 'a list is replaced, not merged');
    assert.equal(api.recycling.periodicRestart.privateMemory, 1024 ** 3);
  });

  it('gives each pool its own copy of the defaults', () => {
    const config = ok('pools:\n  a: { command: [x] }\n  b: { command: [y] }\n');
    assert.notEqual(config.pools.a.recycling.logEventOnRecycle, config.pools.b.recycling.logEventOnRecycle);
    assert.notEqual(config.pools.a.processModel, config.pools.b.processModel);
  });
});

describe('loadConfig: errors', () => {
  it('reports every error in a bad file, each on its own line', () => {
    const text = `listen: []
sites:
  - name: shop
    apps:
      - { path: /, pool: web }
      - { path: api, pool: api }   # L-path
      - { path: /x, pool: nope }   # L-missing
pools:
  web:
    command: [node, server.js]
    queueLength: lots              # L-queue
    processModel:
      pingIntervall: 30s           # L-unknown
      startupTimeLimit: soon       # L-startup
      idleTimeoutAction: suspend   # L-enum
    cpu: { limit: 200% }           # L-cpu
  api:
    env: { A: 1 }                  # L-api
`;
    const errs = errors(text);
    const expect: Array<[string, string, RegExp]> = [
      ['listen', 'listen: []', /at least one listen binding/],
      ['sites[0].apps[1].path', 'L-path', /must start with "\/", got "api"/],
      ['sites[0].apps[2].pool', 'L-missing', /pool 'nope' is not defined/],
      ['pools.web.queueLength', 'L-queue', /expected a whole number, got "lots"/],
      ['pools.web.processModel.pingIntervall', 'L-unknown', /unknown key 'pingIntervall' \(did you mean 'pingInterval'\?\)/],
      ['pools.web.processModel.startupTimeLimit', 'L-startup', /invalid duration "soon"/],
      ['pools.web.processModel.idleTimeoutAction', 'L-enum', /must be one of Terminate, Suspend, got "suspend" \(did you mean 'Suspend'\?\)/],
      ['pools.web.cpu.limit', 'L-cpu', /invalid CPU limit "200%"/],
      ['pools.api.command', '  api:', /has no command/],
    ];
    for (const [path, marker, message] of expect) {
      const e = find(errs, path);
      assert.equal(e.line, lineOf(text, marker), `line of ${path}`);
      assert.ok(e.column !== null && e.column >= 1);
      assert.match(e.message, message);
    }
    assert.equal(errs.length, expect.length, errs.map((e) => formatConfigError(e, 'f')).join('\n'));
    const lines = errs.map((e) => e.line ?? 0);
    assert.deepEqual(lines, [...lines].sort((a, b) => a - b), 'errors come in file order');
  });

  it('points an unknown key at the key itself, with a suggestion when one is close', () => {
    const text = 'pools:\n  web:\n    command: [x]\n    procesModel: {}\n    colour: red\npool: {}\n';
    const errs = errors(text);
    const e = find(errs, 'pools.web.procesModel');
    assert.equal(e.code, 'CONFIG_UNKNOWN_KEY');
    assert.deepEqual([e.line, e.column], [4, 5]);
    assert.equal(e.message, "unknown key 'procesModel' (did you mean 'processModel'?)");
    assert.equal(find(errs, 'pools.web.colour').message, "unknown key 'colour'");
    assert.equal(find(errs, 'pool').message, "unknown key 'pool' (did you mean 'pools'?)");
  });

  it('reports an app whose pool does not exist at that app’s pool line', () => {
    const text = `sites:
  - name: shop
    apps:
      - path: /
        pool: webb
pools:
  web: { command: [node, server.js] }
`;
    const errs = errors(text);
    assert.equal(errs.length, 1);
    const e = errs[0];
    assert.equal(e.code, 'CONFIG_MISSING_POOL');
    assert.equal(e.path, 'sites[0].apps[0].pool');
    assert.deepEqual([e.line, e.column], [5, 15]);
    assert.equal(e.message, "pool 'webb' is not defined under pools (did you mean 'web'?)");
  });

  it('reports a YAML syntax error with its line', () => {
    const text = 'pools:\n  web:\n    command: [node, server.js\n  api: {}\n';
    const errs = errors(text);
    assert.ok(errs.length >= 1);
    assert.equal(errs[0].code, 'CONFIG_YAML');
    assert.match(errs[0].message, /^YAML: /);
    assert.ok(errs[0].line !== null && errs[0].line >= 3 && errs[0].line <= 4, `line ${errs[0].line}`);
  });

  it('reports a repeated key as a YAML error on the repeated line', () => {
    const errs = errors('pools:\n  web: { command: [x] }\n  web: { command: [y] }\n');
    assert.equal(errs[0].code, 'CONFIG_YAML');
    assert.equal(errs[0].line, 3);
  });

  it('rejects duplicate routes, duplicate bindings, bad pool names, and admin.tcp without a token', () => {
    const text = `listen: ["127.0.0.1:8080", "127.0.0.1:8080"]
admin: { tcp: "0.0.0.0:9180", token: short-token }
sites:
  - name: a
    apps: [{ path: /x/, pool: web }]
  - name: b
    hosts: ["*", "other"]
    apps: [{ path: /x, pool: web }]
pools:
  web: { command: [x] }
  "bad name": { command: [x] }
`;
    const errs = errors(text);
    assert.equal(find(errs, 'listen[1]').code, 'CONFIG_DUPLICATE_BINDING');
    assert.equal(find(errs, 'admin.token').code, 'CONFIG_ADMIN_TOKEN_SHORT');
    const dup = find(errs, 'sites[1].apps[0].path');
    assert.equal(dup.code, 'CONFIG_DUPLICATE_ROUTE');
    assert.equal(dup.line, 8);
    assert.match(dup.message, /path '\/x' for host '\*' is already served by sites\[0\]\.apps\[0\]/);
    const name = find(errs, 'pools.bad name');
    assert.equal(name.line, 11);
    assert.match(name.message, /a pool name may use only/);
  });

  it('rejects an identityType at odds with processModel.user, and takes admin.tcp without a token', () => {
    const errs = errors(`
admin: { tcp: "127.0.0.1:9180", hosts: [ops.example.com] }
applicationPoolDefaults: { processModel: { identityType: SpecificUser } }
pools:
  a: { command: [x] }
  b: { command: [x], processModel: { identityType: HostIdentity, user: nobody } }
  c: { command: [x], processModel: { user: nobody } }
  d: { command: [x], processModel: { identityType: Pool } }
`);
    assert.equal(find(errs, 'pools.a.processModel.identityType').code, 'CONFIG_IDENTITY_NO_USER');
    assert.equal(find(errs, 'pools.b.processModel.user').code, 'CONFIG_IDENTITY_USER');
    assert.equal(find(errs, 'pools.d.processModel.identityType').code, 'CONFIG_BAD_ENUM');
    assert.equal(errs.length, 3, errs.map((e) => e.path).join(', '));
  });

  it('rejects bad schedules, naming the entry', () => {
    const text = 'pools:\n  web:\n    command: [x]\n    recycling: { periodicRestart: { schedule: ["25:00", "61 * * * *", "2030-01-01"] } }\n';
    const errs = errors(text);
    assert.deepEqual(errs.map((e) => e.path), [0, 1, 2].map((i) => `pools.web.recycling.periodicRestart.schedule[${i}]`));
    assert.ok(errs.every((e) => e.code === 'CONFIG_BAD_SCHEDULE' && e.line === 4));
  });

  it('reports a missing required key at the object that lacks it', () => {
    const text = 'sites:\n  - apps: [{ path: /, pool: web }]\npools:\n  web: { command: [x] }\n';
    const e = find(errors(text), 'sites[0].name');
    assert.equal(e.message, 'required key is missing');
    assert.equal(e.line, 2);
  });

  it('rejects a file that is not a mapping, and a file that does not exist', () => {
    assert.equal(errors('- a\n- b\n')[0].code, 'CONFIG_BAD_TYPE');
    const missing = loadConfig(join(dir, 'absent.yaml'));
    assert.equal(missing.ok, false);
    if (!missing.ok) {
      assert.equal(missing.errors[0].code, 'CONFIG_READ');
      assert.equal(missing.errors[0].line, null);
    }
  });
});

describe('formatConfigError', () => {
  it('prints file:line:col: path: message', () => {
    const result = parseConfig('pools:\n  web:\n    command: [x]\n    queueLength: -1\n', '/etc/paddock.yaml');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(
      formatConfigError(result.errors[0], '/etc/paddock.yaml'),
      '/etc/paddock.yaml:4:18: pools.web.queueLength: must be from 0 to 65535, got -1',
    );
    assert.equal(
      formatConfigError({ path: '', line: null, column: null, message: 'cannot read', code: 'CONFIG_READ' }, 'p.yaml'),
      'p.yaml: cannot read',
    );
  });
});
