import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffConfig } from './diff.ts';
import { parseConfig } from './load.ts';
import type { HostConfig } from './types.ts';

function config(text: string): HostConfig {
  const result = parseConfig(text, '/srv/paddock/paddock.yaml');
  if (!result.ok) assert.fail(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.config;
}

const BEFORE = `
sites:
  - name: shop
    apps: [{ path: /, pool: web }, { path: /api, pool: api }]
applicationPoolDefaults:
  processModel: { pingInterval: 30s }
pools:
  web: { command: [node, web.js] }
  api: { command: [node, api.js] }
  old: { command: [node, old.js] }
`;

describe('diffConfig', () => {
  it('finds nothing between two loads of the same file', () => {
    const d = diffConfig(config(BEFORE), config(BEFORE));
    assert.deepEqual(d, {
      added: [], removed: [], changed: [], unchanged: ['api', 'old', 'web'],
      sitesChanged: false, listenChanged: false, adminChanged: false,
    });
  });

  it('sorts pools into added, removed, changed and unchanged', () => {
    const after = BEFORE
      .replace('  old: { command: [node, old.js] }\n', '  new: { command: [node, new.js] }\n')
      .replace('[node, api.js]', '[node, api.js, --verbose]');
    const d = diffConfig(config(BEFORE), config(after));
    assert.deepEqual(d.added, ['new']);
    assert.deepEqual(d.removed, ['old']);
    assert.deepEqual(d.changed, ['api']);
    assert.deepEqual(d.unchanged, ['web']);
    assert.equal(d.sitesChanged, false);
  });

  it('counts a change to applicationPoolDefaults against every pool that inherits it', () => {
    const after = BEFORE
      .replace('pingInterval: 30s', 'pingInterval: 10s')
      .replace('  web: { command: [node, web.js] }', '  web: { command: [node, web.js], processModel: { pingInterval: 30s } }');
    const d = diffConfig(config(BEFORE), config(after));
    assert.deepEqual(d.changed, ['api', 'old']);
    assert.deepEqual(d.unchanged, ['web'], 'web sets its own pingInterval, so its resolved config is the same');
  });

  it('does not count a change of spelling that resolves to the same value', () => {
    const d = diffConfig(config(BEFORE), config(BEFORE.replace('pingInterval: 30s', 'pingInterval: "00:00:30"')));
    assert.deepEqual(d.changed, []);
  });

  it('flags sites, listen and admin changes', () => {
    const after = `listen: ["127.0.0.1:9090"]\nadmin: { socket: other.sock }\n${BEFORE.replace('path: /api', 'path: /v2')}`;
    const d = diffConfig(config(BEFORE), config(after));
    assert.equal(d.sitesChanged, true);
    assert.equal(d.listenChanged, true);
    assert.equal(d.adminChanged, true);
    assert.deepEqual(d.changed, []);
  });
});
