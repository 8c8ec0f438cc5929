import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pdk-lbcli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function paddock(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const good = file('good.yaml', 'listen: ["0.0.0.0:8080"]\nhealth: { listen: "0.0.0.0:9181" }\nsites: [{ name: s, apps: [{ path: /, pool: web }] }]\npools: { web: { command: [node, w.js] } }\n');

test('lb haproxy prints the configuration for the file and the hosts', async () => {
  const r = await paddock('lb', 'haproxy', '--config', good, '--hosts', '10.0.0.1,10.0.0.2', '--inter', '500ms');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# HAProxy configuration for 2 Paddock hosts \(10\.0\.0\.1:8080, 10\.0\.0\.2:8080\),$/m);
  assert.match(r.stdout, new RegExp(`from ${good.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};`));
  assert.match(r.stdout, /^  server host2 10\.0\.0\.2:8080 check port 9181$/m);
  assert.match(r.stdout, /^  default-server inter 500ms fall 2 rise 2$/m);
});

test('bad arguments are usage errors (exit 2) that say what is wrong; a config without a check port fails (exit 1)', async () => {
  const missing = await paddock('lb', 'haproxy', '--config', good);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--hosts <list>'/);
  const hosts = await paddock('lb', 'haproxy', '--config', good, '--hosts', '10.0.0.1:http');
  assert.deepEqual([hosts.code, hosts.stderr.trim()], [2, "paddock: --hosts: port 'http' in '10.0.0.1:http' is not a port from 1 to 65535"]);
  const mode = await paddock('lb', 'haproxy', '--config', good, '--hosts', 'a', '--mode', 'udp');
  assert.equal(mode.code, 2);
  assert.match(mode.stderr, /expected http \(layer 7\) or tcp \(layer 4\)/);
  const noHealth = file('bare.yaml', 'pools: { web: { command: [node, w.js] } }\n');
  const r = await paddock('lb', 'haproxy', '--config', noHealth, '--hosts', '10.0.0.1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /serves the health checks on no TCP binding: set health: \{ listen: "0\.0\.0\.0:9181" \}/);
  assert.equal(r.stdout, '');
  const broken = file('broken.yaml', 'pools: { web: { comand: [x] } }\n');
  const b = await paddock('lb', 'haproxy', '--config', broken, '--hosts', '10.0.0.1');
  assert.equal(b.code, 1);
  assert.match(b.stderr, /unknown key 'comand'/);
});
