import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load.ts';
import type { HostConfig } from '../config/types.ts';
import { parseHostList } from './host-list.ts';
import { haproxyConfig, haproxyTime } from './haproxy.ts';

const HAPROXY = '/usr/sbin/haproxy';
const haveHaproxy = existsSync(HAPROXY);

function config(text: string): HostConfig {
  const r = parseConfig(text, '/srv/paddock.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const farmYaml = `
listen: ["0.0.0.0:8080"]
health: { listen: "0.0.0.0:9181" }
sites:
  - { name: shop, hosts: ["shop.example"], apps: [{ path: /, pool: web }, { path: /api, pool: api }] }
  - { name: any, apps: [{ path: /, pool: web }] }
pools:
  web: { command: ["node", "web.js"] }
  api: { command: ["node", "api.js"] }
  batch: { command: ["node", "batch.js"] }
`;

/** The lines of `section` (e.g. "backend pool_web") up to the next blank line. */
function section(text: string, header: string): string[] {
  const lines = text.split('\n');
  const at = lines.indexOf(header);
  assert.ok(at >= 0, `no "${header}" in:\n${text}`);
  const end = lines.indexOf('', at);
  return lines.slice(at + 1, end === -1 ? undefined : end).map((l) => l.trim());
}

describe('the HAProxy configuration', () => {
  const c = config(farmYaml);
  const hosts = parseHostList('10.0.0.1,10.0.0.2');
  const http = haproxyConfig(c, { hosts, mode: 'http', bind: { host: '', port: 80 }, source: '/srv/paddock.yaml' });
  const tcp = haproxyConfig(c, { hosts, mode: 'tcp', bind: { host: '', port: 9000 }, interMs: 200, fall: 1, rise: 3, source: '/srv/paddock.yaml' });

  it('has one backend per pool, each server checked on that pool\'s readiness with drain as NOLB', () => {
    for (const pool of ['web', 'api', 'batch']) {
      const b = section(http, `backend pool_${pool}`);
      assert.ok(b.includes('option httpchk'));
      assert.ok(b.includes(`http-check send meth GET uri /health/pools/${pool} ver HTTP/1.1 hdr Host paddock`));
      assert.ok(b.includes('http-check expect ! hdr name paddock-readiness value draining error-status L7OKC comment draining'));
      assert.ok(b.some((l) => l.startsWith('http-check expect status 200')));
      assert.deepEqual(b.filter((l) => l.startsWith('server ')), ['server host1 10.0.0.1:8080 check port 9181', 'server host2 10.0.0.2:8080 check port 9181']);
    }
    assert.ok(section(http, 'backend pool_batch').includes('# No app of the sites routes to this pool.'));
  });

  it('retries refused requests on another host in http mode, and routes as Paddock does', () => {
    const d = section(http, 'defaults');
    for (const line of ['mode http', 'retries 3', 'option redispatch 1', 'retry-on conn-failure empty-response 503', 'default-server inter 2s fall 2 rise 2', 'timeout client 2m']) {
      assert.ok(d.includes(line), `${line} in defaults`);
    }
    const f = section(http, 'frontend paddock');
    assert.ok(f.includes('bind *:80'));
    assert.deepEqual(f.filter((l) => /^(use|default)_backend/.test(l)), [
      'use_backend pool_api if host_1 path_1',
      'use_backend pool_web if host_1',
      'default_backend pool_web',
    ]);
  });

  it('gives each pool a port of its own in tcp mode, retries only connections, and cuts a DOWN host\'s sessions', () => {
    const d = section(tcp, 'defaults');
    assert.ok(d.includes('mode tcp'));
    assert.ok(d.includes('default-server inter 200ms fall 1 rise 3 on-marked-down shutdown-sessions'));
    assert.ok(!tcp.includes('retry-on'), 'layer 4 cannot retry a request it has sent');
    assert.deepEqual(['web', 'api', 'batch'].map((p) => section(tcp, `frontend pool_${p}`)[0]), ['bind *:9000', 'bind *:9001', 'bind *:9002']);
    assert.ok(section(tcp, 'backend pool_api').includes('http-check send meth GET uri /health/pools/api ver HTTP/1.1 hdr Host paddock'));
    assert.ok(!tcp.includes('frontend paddock\n'));
  });

  it('takes each host\'s own ports, and TLS to a front door with only https bindings', () => {
    const tls = config('listen: ["https://0.0.0.0:8443"]\ntls: { cert: c.pem, key: k.pem }\nadmin: { tcp: "0.0.0.0:9180" }\npools: { web: { command: [x] } }\n');
    const text = haproxyConfig(tls, { hosts: parseHostList('a=127.0.0.1:18081@19181,b=127.0.0.1'), mode: 'http', bind: { host: '127.0.0.1', port: 8000 }, source: 'f' });
    const servers = section(text, 'backend pool_web').filter((l) => l.startsWith('server '));
    assert.deepEqual(servers, [
      'server a 127.0.0.1:18081 check port 19181 ssl verify required ca-file @system-ca sni req.hdr(host) no-check-ssl',
      'server b 127.0.0.1:8443 check port 9180 ssl verify required ca-file @system-ca sni req.hdr(host) no-check-ssl',
    ]);
  });

  it('refuses a config whose checks no balancer can reach, saying what to set', () => {
    const bare = config('pools: { web: { command: [x] } }\n');
    assert.throws(() => haproxyConfig(bare, { hosts, mode: 'http', bind: { host: '', port: 80 }, source: 'f' }), (err: Error & { code?: string }) =>
      err.code === 'LB_NO_HEALTH_PORT' && /health: \{ listen: "0\.0\.0\.0:9181" \}/.test(err.message));
    // ...unless each host names its check port.
    assert.match(haproxyConfig(bare, { hosts: parseHostList('10.0.0.1@9999'), mode: 'http', bind: { host: '', port: 80 }, source: 'f' }), /check port 9999/);
  });

  it('writes times as HAProxy does', () => {
    assert.deepEqual([haproxyTime(200), haproxyTime(2_000), haproxyTime(120_000), haproxyTime(1_500)], ['200ms', '2s', '2m', '1500ms']);
  });

  it('is a configuration HAProxy accepts, in both modes and with TLS to the front door', { skip: haveHaproxy ? false : `${HAPROXY} is not installed (Debian package haproxy; .ci/run installs it)` }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdk-lb-'));
    try {
      const tls = haproxyConfig(config('listen: ["https://0.0.0.0:8443"]\ntls: { cert: c.pem, key: k.pem }\nhealth: { listen: "0.0.0.0:9181" }\npools: { web: { command: [x] } }\n'), {
        hosts, mode: 'http', bind: { host: '', port: 80 }, source: 'f',
      });
      for (const [name, text] of [['http', http], ['tcp', tcp], ['tls', tls]]) {
        const file = join(dir, `${name}.cfg`);
        writeFileSync(file, text);
        const r = spawnSync(HAPROXY, ['-c', '-f', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The generated frontend in a real HAProxy, in front of two stand-ins for Paddock hosts: `a` is
 * ready only for pool api, `b` only for web, so which one answers shows where a request was routed.
 */
describe('the generated routing in a real HAProxy', { skip: haveHaproxy ? false : `${HAPROXY} is not installed` }, () => {
  let a: Server;
  let b: Server;
  let hap: ChildProcess;
  let port: number;
  let dir: string;

  const standIn = (name: string, readyPool: string): Promise<Server> => new Promise((resolve) => {
    const s = createServer((req, res) => {
      if (req.url === '/health') return res.end('{}');
      if (req.url?.startsWith('/health/pools/')) {
        res.statusCode = req.url === `/health/pools/${readyPool}` ? 200 : 503;
        return res.end('{}');
      }
      res.end(`${name} ${req.url}`);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  const portOf = (s: Server): number => (s.address() as { port: number }).port;
  const free = (): Promise<number> => new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = portOf(s);
      s.close(() => resolve(p));
    });
  });
  const ask = (path: string, host: string): Promise<string> => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', reject);
    req.end();
  });

  before(async () => {
    [a, b] = await Promise.all([standIn('a', 'api'), standIn('b', 'web')]);
    port = await free();
    dir = mkdtempSync(join(tmpdir(), 'pdk-lb-'));
    const text = haproxyConfig(config(farmYaml), {
      hosts: parseHostList(`a=127.0.0.1:${portOf(a)}@${portOf(a)},b=127.0.0.1:${portOf(b)}@${portOf(b)}`),
      mode: 'http', bind: { host: '127.0.0.1', port }, interMs: 100, fall: 1, rise: 1, source: 'test',
    });
    writeFileSync(join(dir, 'h.cfg'), text);
    hap = spawn(HAPROXY, ['-f', join(dir, 'h.cfg'), '-db'], { stdio: 'ignore' });
    // Settled once pool api goes to a alone and pool web to b alone.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const got = await Promise.all([ask('/api', 'shop.example'), ask('/', 'shop.example')]).catch(() => ['', '']);
      const sample = await Promise.all(Array.from({ length: 4 }, () => ask('/api', 'shop.example').catch(() => '')));
      if (got[0].startsWith('200 a') && got[1].startsWith('200 b') && sample.every((s) => s.startsWith('200 a'))) break;
      if (Date.now() > deadline) throw new Error(`HAProxy did not settle: ${got.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    hap?.kill('SIGKILL');
    a?.close();
    b?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('routes by Host without its port and case, then by path prefix at a segment boundary', async () => {
    assert.equal(await ask('/api/x?y=1', 'SHOP.example:8080'), '200 a /api/x?y=1');
    assert.equal(await ask('/api', 'shop.example'), '200 a /api');
    assert.equal(await ask('/apix', 'shop.example'), '200 b /apix', '/apix is not under /api');
    assert.equal(await ask('/api', 'other.test'), '200 b /api', 'another host takes the "*" site');
  });
});
