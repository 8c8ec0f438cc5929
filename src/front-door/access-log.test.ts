import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLog, type AccessLogOptions, type RequestRecord } from './access-log.ts';
import { W3C_FIELDS, w3cValue } from './access-log-format.ts';
import { parseRequestHead } from './http-parser.ts';
import { headerValue } from './request-record.ts';
import { readW3c } from '../../test/helpers/w3c-reader.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-access-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

function options(file: string, extra: Partial<AccessLogOptions> = {}): AccessLogOptions {
  return { file, format: 'w3c', includeQueryStrings: false, maxBytes: 1 << 20, maxFiles: 5, onError: () => assert.fail('no error expected'), ...extra };
}

/** A served request as the front door records it, from real request bytes. */
function served(text: string, extra: Partial<RequestRecord> = {}): RequestRecord {
  const raw = Buffer.from(text, 'latin1');
  const r = parseRequestHead(raw);
  assert.equal(r.kind, 'ok');
  const head = r.kind === 'ok' ? r.head : null;
  return {
    end: Date.parse('2025-03-04T05:06:07.890Z'),
    method: head!.method,
    path: head!.path,
    target: head!.target,
    head,
    raw,
    clientIp: '10.0.0.9',
    serverIp: '127.0.0.1',
    serverPort: 8080,
    pool: 'web',
    worker: 'web-1',
    status: 200,
    reason: null,
    queueMs: 0.1,
    ttfbMs: 2.4,
    totalMs: 3.6,
    attempts: 1,
    ending: 'answered',
    ...extra,
  };
}

/** A request the front door refused itself, before any exchange. */
function refused(client: string, path: string, pool: string | null, status: number, reason: string): RequestRecord {
  return {
    end: Date.now(), method: 'GET', path, target: path, head: null, raw: null, clientIp: client, serverIp: '', serverPort: 0,
    pool, worker: null, status, reason, ending: 'frontDoor', queueMs: -1, ttfbMs: 0, totalMs: 0, attempts: 0,
  };
}

const GET = 'GET /a/b?token=secret HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5 (x86_64) libcurl\r\n\r\n';

test('W3C lines carry the IIS fields under a #Fields directive, and parse with a W3C reader', async (t) => {
  const file = join(tempDir(t), 'logs', 'access.log');
  const log = new AccessLog(options(file));
  log.record(served(GET));
  log.record(served(GET, { status: 503, reason: 'QueueFull', worker: null, ttfbMs: 0.2, totalMs: 0.3 }));
  log.record(refused('10.0.0.8', '/nowhere', null, 404, 'NotFound'));
  await log.close();
  const { directives, rows } = readW3c(readFileSync(file, 'utf8'));
  assert.deepEqual(directives.Fields, [...W3C_FIELDS]);
  assert.equal(directives.Version, '1.0');
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], {
    date: '2025-03-04', time: '05:06:07', 's-ip': '127.0.0.1', 'cs-method': 'GET', 'cs-uri-stem': '/a/b', 'cs-uri-query': '-',
    's-port': '8080', 'c-ip': '10.0.0.9', 'cs(User-Agent)': 'curl/8.5+(x86_64)+libcurl', 'sc-status': '200', 'sc-substatus': '0',
    'time-taken': '4', 's-pool': 'web', 's-worker': 'web-1', 's-reason': '-',
  });
  assert.equal(rows[1]['sc-status'], '503');
  assert.equal(rows[1]['sc-substatus'], '2', 'IIS 503.2: a limit was reached (the queue is full)');
  assert.equal(rows[1]['s-reason'], 'QueueFull');
  assert.equal(rows[2]['cs-uri-stem'], '/nowhere');
  assert.equal(rows[2]['s-pool'], '-');
});

test('the query string is logged only when configured', async (t) => {
  const dir = tempDir(t);
  const on = new AccessLog(options(join(dir, 'on.log'), { includeQueryStrings: true }));
  on.record(served(GET));
  await on.close();
  assert.equal(readW3c(readFileSync(join(dir, 'on.log'), 'utf8')).rows[0]['cs-uri-query'], 'token=secret');
  const off = new AccessLog(options(join(dir, 'off.log')));
  off.record(served(GET));
  await off.close();
  assert.doesNotMatch(readFileSync(join(dir, 'off.log'), 'utf8'), /secret/);
});

test('JSON lines hold one object per request, with timings in milliseconds', async (t) => {
  const file = join(tempDir(t), 'access.log');
  const log = new AccessLog(options(file, { format: 'json' }));
  log.record(served(GET, { attempts: 2, worker: 'web-2' }));
  await log.close();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 1, 'no header in a JSON file');
  assert.deepEqual(JSON.parse(lines[0]), {
    time: '2025-03-04T05:06:07.890Z', serverIp: '127.0.0.1', serverPort: 8080, method: 'GET', path: '/a/b', query: null,
    clientIp: '10.0.0.9', userAgent: 'curl/8.5 (x86_64) libcurl', status: 200, substatus: 0, timeTakenMs: 3.6, ttfbMs: 2.4,
    queueMs: 0.1, pool: 'web', worker: 'web-2', reason: null, attempts: 2,
  });
});

test('off writes no file, yet every batch still reaches the listeners', async (t) => {
  const file = join(tempDir(t), 'access.log');
  const log = new AccessLog(options(file, { format: 'off' }));
  const seen: number[] = [];
  log.onBatch((b) => seen.push(b.length));
  log.record(served(GET));
  log.record(served(GET));
  await log.close();
  assert.deepEqual(seen, [2]);
  assert.equal(existsSync(file), false);
});

test('records are written off the request path, in one batch per flush interval', async (t) => {
  const file = join(tempDir(t), 'access.log');
  const log = new AccessLog(options(file, { flushMs: 30 }));
  const batches: number[] = [];
  log.onBatch((b) => batches.push(b.length));
  for (let i = 0; i < 100; i++) log.record(served(GET));
  assert.deepEqual(batches, [], 'nothing is formatted or written while requests are recorded');
  await settle(120);
  assert.deepEqual(batches, [100]);
  await log.close();
  assert.equal(readW3c(readFileSync(file, 'utf8')).rows.length, 100);
});

test('rotation keeps the count: access.log and at most maxFiles rotated files, each opening with the W3C header', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'access.log');
  const log = new AccessLog(options(file, { maxBytes: 2048, maxFiles: 2 }));
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 5; j++) log.record(served(GET));
    await log.flush();
  }
  await log.close();
  assert.deepEqual(readdirSync(dir).sort(), ['access.log', 'access.log.1', 'access.log.2']);
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.ok(text.startsWith('#Software: Paddock\n#Version: 1.0\n'), `${f} opens with the directives`);
    assert.ok(Buffer.byteLength(text) <= 2048 + 1024, `${f} stays near maxBytes (${Buffer.byteLength(text)})`);
    assert.ok(readW3c(text).rows.length > 0);
  }
});

test('a flood of records cannot grow a file past maxBytes: each stays within one line of it, and the count holds', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'access.log');
  const maxBytes = 16 * 1024;
  const log = new AccessLog(options(file, { maxBytes, maxFiles: 3 }));
  // Recorded in one go: the batches are formatted into 64 KiB chunks, each larger than maxBytes.
  for (let i = 0; i < 20_000; i++) log.record(served(GET, { path: `/flood/${i}` }));
  await log.close();
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['access.log', 'access.log.1', 'access.log.2', 'access.log.3']);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'latin1');
    const longest = Math.max(...text.split('\n').map((l) => l.length + 1));
    assert.ok(text.length <= maxBytes + longest, `${f} holds ${text.length} bytes, past maxBytes ${maxBytes} by more than a line`);
    assert.ok(text.startsWith('#Software: Paddock\n'), `${f} opens with the directives`);
  }
  // The newest lines are the last records, in order.
  const rows = readW3c(readFileSync(file, 'latin1')).rows;
  assert.ok(rows.length > 0);
  assert.match(rows.at(-1)!['cs-uri-stem'] ?? '', /\/flood\/19999$/);
});

test('a header larger than maxBytes costs no loop: each file takes a line', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'access.log');
  const log = new AccessLog(options(file, { maxBytes: 10, maxFiles: 1 }));
  for (let i = 0; i < 3; i++) log.record(served(GET));
  await log.close();
  assert.deepEqual(readdirSync(dir).sort(), ['access.log', 'access.log.1']);
  assert.equal(readW3c(readFileSync(file, 'latin1')).rows.length, 1);
});

test('a file moved away (logrotate) is noticed and a new one is opened at the path', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'access.log');
  const log = new AccessLog(options(file));
  log.record(served(GET, { path: '/first' }));
  await log.flush();
  renameSync(file, join(dir, 'access.log.old'));
  log.record(served(GET, { path: '/second' }));
  await log.close();
  assert.match(readFileSync(join(dir, 'access.log.old'), 'utf8'), /\/first/);
  const now = readFileSync(file, 'utf8');
  assert.match(now, /^#Software/);
  assert.match(now, /\/second/);
  assert.doesNotMatch(now, /\/first/);
});

test('a full disk is reported once per streak, lines are dropped meanwhile, and the log records again when there is room', async (t) => {
  const file = join(tempDir(t), 'access.log');
  symlinkSync('/dev/full', file); // every write fails with ENOSPC
  const errors: Error[] = [];
  const log = new AccessLog(options(file, { retryMs: 100, onError: (err) => errors.push(err) }));
  log.record(refused('c', '/1', 'web', 503, 'QueueFull'));
  await log.flush();
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /ENOSPC/);
  log.record(refused('c', '/2', 'web', 503, 'QueueFull')); // within retryMs: dropped, no report
  await log.flush();
  await settle(150);
  log.record(refused('c', '/3', 'web', 503, 'QueueFull')); // retried, fails again: still one report
  await log.flush();
  assert.equal(errors.length, 1, 'one report for the whole streak');
  assert.ok(log.droppedBytes > 0);

  unlinkSync(file);
  await settle(150);
  log.record(refused('c', '/4', 'web', 503, 'QueueFull'));
  await log.close();
  const rows = readW3c(readFileSync(file, 'utf8')).rows;
  assert.deepEqual(rows.map((r) => r['cs-uri-stem']), ['/4']);
  assert.equal(rows[0]['s-reason'], 'QueueFull');
});

test('a W3C value is always one token', () => {
  assert.equal(w3cValue(null), '-');
  assert.equal(w3cValue(''), '-');
  assert.equal(w3cValue('Mozilla/5.0 (X11; Linux)'), 'Mozilla/5.0+(X11;+Linux)');
  assert.equal(w3cValue('a\tb\x01'), 'a%09b%01');
});

test('a header value is read from the raw head, case-insensitively, first occurrence', () => {
  const raw = Buffer.from('GET / HTTP/1.1\r\nhost: x\r\nUSER-AGENT:  one \r\nUser-Agent: two\r\n\r\n', 'latin1');
  const r = parseRequestHead(raw);
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  assert.equal(headerValue(raw, r.head, 'user-agent'), 'one');
  assert.equal(headerValue(raw, r.head, 'Referer'), null);
});
