/**
 * PHP through FastCGI: a `protocol: fastcgi` pool of real php-cgi processes behind the front door.
 * Requests become FastCGI records and answers come back as HTTP: query strings, form posts,
 * PATH_INFO, a script's own status and headers, and 20 MB streamed each way.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { get, oneSite, startTestHost, waitFor, type TestHost } from './helpers/test-host.ts';
import { phpDocroot, phpPool, phpSkip } from './helpers/php-cgi.ts';

let h: TestHost;

before(async () => {
  if (phpSkip) return;
  h = await startTestHost({ sites: oneSite('php'), pools: { php: phpPool({ processModel: { maxProcesses: 2 } }) } });
});
after(async () => {
  await h?.stop();
});

test('a GET with a query string runs the script with the CGI variables', { skip: phpSkip }, async () => {
  const r = await get(`${h.url}/query.php?item=3&colour=red%20wine`, { headers: { host: 'shop.example' } });
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body);
  assert.deepEqual(body.get, { item: '3', colour: 'red wine' });
  assert.equal(body.query, 'item=3&colour=red%20wine');
  assert.equal(body.uri, '/query.php?item=3&colour=red%20wine');
  assert.equal(body.script, '/query.php');
  assert.equal(body.file, `${phpDocroot}/query.php`);
  assert.equal(body.remote, '127.0.0.1');
  assert.equal(body.host, 'shop.example');
  assert.equal(body.pathInfo, null);
  assert.match(String(r.headers['content-length']), /^\d+$/, 'a whole answer gets a length');
});

test('PATH_INFO: /query.php/users/42 runs query.php with the rest as PATH_INFO', { skip: phpSkip }, async () => {
  const r = await get(`${h.url}/query.php/users/42?x=1`);
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body);
  assert.equal(body.script, '/query.php');
  assert.equal(body.pathInfo, '/users/42');
  assert.equal(body.self, '/query.php/users/42');
});

test('a form POST reaches $_POST', { skip: phpSkip }, async () => {
  const r = await get(`${h.url}/form.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Ada+Lovelace&lang=php' });
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body);
  assert.deepEqual(body.post, { name: 'Ada Lovelace', lang: 'php' });
  assert.equal(body.type, 'application/x-www-form-urlencoded');
  assert.equal(body.length, '26');
});

test("a script's Status: 404 and headers become the HTTP answer", { skip: phpSkip }, async () => {
  const r = await get(`${h.url}/status.php?what=cart`);
  assert.equal(r.status, 404);
  assert.equal(r.headers['x-paddock-test'], 'not here');
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.match(String(r.headers['set-cookie']), /^seen=yes/);
  assert.equal(r.body, 'nothing at cart\n');
});

test('a path that names no script is a 404 from the host; a traversal is a 400; both keep the connection', { skip: phpSkip }, async () => {
  const r = await get(`${h.url}/logo.png`);
  assert.equal(r.status, 404);
  assert.match(r.body, /No PHP script/);
  const t = await rawExchange(h.port, 'GET /%2e%2e/etc/passwd.php HTTP/1.1\r\nHost: x\r\n\r\nGET /index.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(t, /^HTTP\/1\.1 400 /);
  assert.match(t, /hello from php pid \d+/, 'the next request on the connection is served');
});

test('keep-alive to php-cgi (FCGI_KEEP_CONN): many requests on one client connection, each answered', { skip: phpSkip }, async () => {
  const pids = new Set<string>();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 20; i++) {
    const r = await get(`${h.url}/index.php`, { agent });
    assert.equal(r.status, 200);
    pids.add(/pid (\d+)/.exec(r.body)![1]);
  }
  agent.destroy();
  const workers = h.host.supervisor.workers('php');
  for (const pid of pids) assert.ok(workers.some((w) => String(w.pid) === pid), `pid ${pid} is a worker of the pool`);
});

test('a 20 MB upload streams to php-cgi and a 20 MB download streams back chunked', { skip: phpSkip }, async () => {
  const size = 20 * 1024 * 1024;
  const block = Buffer.alloc(1 << 20, 'x');
  const hash = createHash('sha256');
  const uploaded = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${h.url}/upload.php`, { method: 'PUT', headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        hash.update(block);
        sent += block.length;
        if (!req.write(block)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(uploaded.status, 200, uploaded.body);
  const up = JSON.parse(uploaded.body);
  assert.equal(up.bytes, size);
  assert.equal(up.sha256, hash.digest('hex'));

  const downloaded = await new Promise<{ status: number; te: string | undefined; bytes: number; hash: string }>((resolve, reject) => {
    request(`${h.url}/download.php?mb=20`, (res) => {
      const d = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        d.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode!, te: res.headers['transfer-encoding'], bytes, hash: d.digest('hex') }));
    }).on('error', reject).end();
  });
  assert.equal(downloaded.status, 200);
  assert.equal(downloaded.te, 'chunked', 'no length given: chunked to an HTTP/1.1 client');
  assert.equal(downloaded.bytes, size);
  const want = createHash('sha256');
  for (let i = 0; i < 20 * 16; i++) want.update(Buffer.from('0123456789abcdef'.repeat(4096)));
  assert.equal(downloaded.hash, want.digest('hex'));
});

test('a slow client reading a download holds php-cgi back (backpressure), not the host\'s memory', { skip: phpSkip }, async () => {
  // The client reads nothing for a while: the host's socket buffers fill and the worker is paused,
  // so the host's resident memory does not grow by the download's size.
  const before = process.memoryUsage().rss;
  const s = connect(h.port, '127.0.0.1');
  s.write('GET /download.php?mb=64 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  s.pause();
  await new Promise((r) => setTimeout(r, 700));
  const grown = process.memoryUsage().rss - before;
  let bytes = 0;
  s.on('data', (c: Buffer) => (bytes += c.length));
  s.resume();
  await new Promise((r) => s.on('close', r));
  assert.ok(bytes > 64 * 1024 * 1024, `the whole download arrived (${bytes} bytes)`);
  assert.ok(grown < 48 * 1024 * 1024, `the host held back a paused 64 MiB download (rss grew ${Math.round(grown / 1048576)} MiB)`);
});

test("a PHP fatal error is a 500 to the client and, with its file and line, a line of the pool's log", { skip: phpSkip }, async () => {
  const r = await get(`${h.url}/fatal.php`);
  assert.equal(r.status, 500);
  const file = h.host.supervisor.logFile('php');
  const read = (): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  await waitFor(() => /stderr PHP Fatal error: .*calculate_shipping\(\) in .*fatal\.php:8/.test(read()), 5_000, 'the fatal error in the pool log');
});

/** Writes `text` on one connection and reads until the server closes it. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.write(text);
  });
}

test('a FastCGI pool whose php-cgi is not installed stops alone with a clear event (7240); the pool beside it serves', async (t) => {
  const { helloPool } = await import('./helpers/test-host.ts');
  const { EventIds } = await import('../src/events/event-ids.ts');
  const host = await startTestHost({
    sites: [{ name: 'a', hosts: ['*'], apps: [{ path: '/', pool: 'php' }, { path: '/node', pool: 'node' }] }],
    pools: { php: phpPool({ command: ['php-cgi-not-installed'], documentRoot: phpDocroot }), node: helloPool() },
  });
  t.after(() => host.stop());
  const refused = await get(`${host.url}/index.php`);
  assert.equal(refused.status, 503);
  const e = await host.waitForEvent(EventIds.CommandNotFound, 'php');
  assert.match(e.message, /'php-cgi-not-installed' is not installed or not on PATH/);
  assert.equal(e.level, 'error');
  assert.equal(host.host.supervisor.pool('php').state, 'stopped');
  assert.equal(host.events(EventIds.WorkerCrashed, 'php').length, 0, 'no crash loop');
  const served = await get(`${host.url}/node`);
  assert.equal(served.status, 200);
});

test("docs/hosting-apps.md's shared-host config for many PHP sites is a valid configuration", async () => {
  const { parseConfig, formatConfigError } = await import('../src/config/index.ts');
  const { fileURLToPath } = await import('node:url');
  const file = fileURLToPath(new URL('../docs/hosting-apps.md', import.meta.url));
  const doc = readFileSync(file, 'utf8');
  const section = doc.slice(doc.indexOf('### Many PHP sites'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml, 'the section has a YAML block');
  const parsed = parseConfig(yaml, file);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map((e) => formatConfigError(e, file)).join('\n'));
  if (!parsed.ok) return;
  assert.deepEqual(Object.keys(parsed.config.pools).sort(), ['alice', 'bob', 'carol']);
  for (const pool of Object.values(parsed.config.pools)) {
    assert.equal(pool.protocol, 'fastcgi');
    assert.equal(pool.runtime, 'generic');
    assert.equal(pool.processModel.user, pool.name);
    assert.match(pool.documentRoot, new RegExp(`/srv/www/${pool.name}/public$`));
  }
  assert.equal(parsed.config.pools.bob.processModel.maxProcesses, 2);
  assert.equal(parsed.config.pools.alice.processModel.maxProcesses, 4);
});
