import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { PoolOutputLog } from './output-log.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-output-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolves when the stream has closed, even if it already had. */
function closed(s: PassThrough): Promise<void> {
  return s.closed ? Promise.resolve() : new Promise((resolve) => s.once('close', () => resolve()));
}

const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) (stdout|stderr) (.*)$/;

test('lines are written tagged with time, worker and stream; long lines are split', async (t) => {
  const dir = join(tempDir(t), 'logs');
  const log = new PoolOutputLog({ dir, pool: 'web', maxBytes: 10_000_000, maxFiles: 3 });
  const out = new PassThrough();
  const err = new PassThrough();
  log.attach('web-1', 'stdout', out);
  log.attach('web-1', 'stderr', err);
  out.write('hello\nwor');
  out.write('ld\r\n');
  err.write('Error: boom\n    at main (server.js:1:1)\n');
  out.end('no newline at the end');
  err.end('x'.repeat(40_000) + '\n');
  await Promise.all([closed(out), closed(err)]);
  await log.close();

  assert.equal(log.file, join(dir, 'web.log'));
  const lines = readFileSync(log.file, 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  const parsed = lines.map((l) => LINE.exec(l)!);
  assert.ok(parsed.every(Boolean), 'every line has the tag format');
  const of = (stream: string) => parsed.filter((m) => m[3] === stream).map((m) => m[4]);
  assert.deepEqual(of('stdout'), ['hello', 'world', 'no newline at the end']);
  const errs = of('stderr');
  assert.deepEqual(errs.slice(0, 2), ['Error: boom', '    at main (server.js:1:1)']);
  assert.deepEqual(errs.slice(2).map((l) => l.length), [16384, 16384, 40_000 - 2 * 16384]);
  assert.ok(parsed.every((m) => m[2] === 'web-1'));
  assert.deepEqual(log.tail('web-1', 'stderr').slice(0, 2), ['Error: boom', '    at main (server.js:1:1)']);
});

test('a split long line never cuts a UTF-8 character', async (t) => {
  const dir = tempDir(t);
  const log = new PoolOutputLog({ dir, pool: 'p', maxBytes: 10_000_000, maxFiles: 2 });
  const src = new PassThrough();
  log.attach('w', 'stdout', src);
  src.end('é'.repeat(20_000) + '\n');
  await closed(src);
  await log.close();
  const text = readFileSync(log.file, 'utf8');
  assert.ok(!text.includes('\uFFFD'));
  assert.equal(text.split('\n').map((l) => LINE.exec(l)?.[4] ?? '').join(''), 'é'.repeat(20_000));
});

test('rotation keeps maxFiles rotated files beside the current one, each at most maxBytes plus one line, in order', async (t) => {
  const dir = tempDir(t);
  const log = new PoolOutputLog({ dir, pool: 'api', maxBytes: 2000, maxFiles: 2 });
  const src = new PassThrough();
  log.attach('api-1', 'stdout', src);
  for (let i = 0; i < 400; i++) src.write(`line ${String(i).padStart(4, '0')} ${'.'.repeat(i % 40)}\n`);
  src.end();
  await closed(src);
  await log.close();

  assert.deepEqual(readdirSync(dir).sort(), ['api.log', 'api.log.1', 'api.log.2']);
  const longest = Math.max(...readFileSync(log.file, 'utf8').split('\n').map((l) => Buffer.byteLength(l) + 1));
  for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= 2000 + 100, `${f} is ${statSync(join(dir, f)).size}`);
  assert.ok(longest < 100);
  const kept = ['api.log.2', 'api.log.1', 'api.log']
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => Number(LINE.exec(l)![4].slice(5, 9)));
  assert.equal(kept.at(-1), 399);
  kept.forEach((n, i) => assert.equal(n, kept[0] + i, 'consecutive lines across the files'));
  assert.ok(kept[0] > 0, 'the oldest lines were deleted');
});

test('maxFiles 0 starts the file afresh instead of keeping a rotated copy', async (t) => {
  const dir = tempDir(t);
  const log = new PoolOutputLog({ dir, pool: 'one', maxBytes: 500, maxFiles: 0 });
  const src = new PassThrough();
  log.attach('w', 'stdout', src);
  for (let i = 0; i < 100; i++) src.write(`line ${i}\n`);
  src.end();
  await closed(src);
  await log.close();
  assert.deepEqual(readdirSync(dir), ['one.log']);
  assert.match(readFileSync(log.file, 'utf8'), /line 99\n$/);
});

test('the in-memory tail is bounded and can be forgotten', async (t) => {
  const dir = tempDir(t);
  const log = new PoolOutputLog({ dir, pool: 'p', maxBytes: 50_000_000, maxFiles: 2 });
  const out = new PassThrough();
  const err = new PassThrough();
  log.attach('w1', 'stdout', out);
  log.attach('w1', 'stderr', err);
  for (let i = 0; i < 1000; i++) out.write(`out ${i}\n`);
  for (let i = 0; i < 20; i++) err.write(`${i} ${'e'.repeat(10_000)}\n`);
  out.end();
  err.end();
  await Promise.all([closed(out), closed(err)]);
  const tail = log.tail('w1', 'stdout');
  assert.equal(tail.length, 200);
  assert.equal(tail[0], 'out 800');
  assert.equal(tail[199], 'out 999');
  const errTail = log.tail('w1', 'stderr');
  assert.ok(errTail.join('').length <= 64 * 1024);
  assert.equal(errTail.length, 6);
  assert.ok(errTail.at(-1)!.startsWith('19 '));
  assert.deepEqual(log.tail('nobody', 'stdout'), []);
  log.forget('w1');
  assert.deepEqual(log.tail('w1', 'stdout'), []);
  await log.close();
});

test('tails of ended workers nobody forgets are kept for the last 32 workers only', async (t) => {
  const dir = tempDir(t);
  const log = new PoolOutputLog({ dir, pool: 'p', maxBytes: 1_000_000, maxFiles: 2 });
  for (let i = 0; i < 40; i++) {
    const src = new PassThrough();
    log.attach(`w${i}`, 'stderr', src);
    src.end(`bye from ${i}\n`);
    await closed(src);
  }
  assert.deepEqual(log.tail('w0', 'stderr'), []);
  assert.deepEqual(log.tail('w7', 'stderr'), []);
  assert.deepEqual(log.tail('w8', 'stderr'), ['bye from 8']);
  assert.deepEqual(log.tail('w39', 'stderr'), ['bye from 39']);

  // A worker forgotten while its pipe is still open goes on writing to the file only.
  const late = new PassThrough();
  log.attach('late', 'stdout', late);
  late.write('before\n');
  await sleep(5);
  log.forget('late');
  late.end('after\n');
  await closed(late);
  assert.deepEqual(log.tail('late', 'stdout'), []);
  await log.close();
  assert.match(readFileSync(log.file, 'utf8'), /late stdout after\n$/);
});

test('a worker flooding stdout is slowed down, not buffered: 200 MB through a bounded host', async (t) => {
  const dir = tempDir(t);
  const log = new PoolOutputLog({ dir, pool: 'flood', maxBytes: 20 * 1024 * 1024, maxFiles: 1 });
  // 1 MiB of 1 KiB lines, written 200 times as fast as the pipe takes them.
  const script = `
    const line = 'x'.repeat(1023) + '\\n';
    const block = Buffer.from(line.repeat(1024));
    let left = 200;
    function more() {
      while (left > 0) { left--; if (!process.stdout.write(block)) return process.stdout.once('drain', more); }
      process.stdout.write('the end\\n');
    }
    more();
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  log.attach('flood-1', 'stdout', child.stdout);
  const [code] = await once(child, 'close');
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await log.close();
  assert.equal(code, 0);
  assert.ok(peak - base < 100 * 1024 * 1024, `rss grew by ${Math.round((peak - base) / 1048576)} MB`);
  assert.deepEqual(readdirSync(dir).sort(), ['flood.log', 'flood.log.1']);
  assert.match(readFileSync(log.file, 'utf8'), / flood-1 stdout the end\n$/);
  assert.equal(log.droppedBytes, 0);
});

test('an unwritable directory: onError once, the worker is drained, and writing resumes later', async (t) => {
  const root = tempDir(t);
  const blocker = join(root, 'data');
  writeFileSync(blocker, 'a file where the data directory should be');
  const dir = join(blocker, 'logs');
  const errors: Error[] = [];
  const log = new PoolOutputLog({ dir, pool: 'web', maxBytes: 1_000_000, maxFiles: 2, retryMs: 50, onError: (e) => errors.push(e) });
  // A real worker writing 8 MB: far more than the host buffers, so it only finishes if drained.
  const child = spawn(process.execPath, ['-e', `for (let i = 0; i < 8; i++) process.stdout.write(Buffer.alloc(1 << 20, 0x61)); console.log('bye')`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  log.attach('web-1', 'stdout', child.stdout);
  const [code] = await once(child, 'close');
  assert.equal(code, 0);
  assert.equal(errors.length, 1, 'one report per streak');
  assert.match((errors[0] as NodeJS.ErrnoException).code ?? '', /ENOTDIR|EEXIST/);
  assert.ok(log.droppedBytes > 0);
  assert.equal(log.tail('web-1', 'stdout').at(-1), 'bye', 'the tail is kept even when the file is not');

  rmSync(blocker);
  mkdirSync(dir, { recursive: true });
  await sleep(60);
  const src = new PassThrough();
  log.attach('web-2', 'stdout', src);
  src.end('back again\n');
  await closed(src);
  await log.close();
  assert.match(readFileSync(log.file, 'utf8'), /web-2 stdout back again\n$/);
  assert.equal(errors.length, 1);
});

test('a full disk (ENOSPC) is reported once and output is discarded', { skip: !existsSync('/dev/full') }, async (t) => {
  const dir = tempDir(t);
  symlinkSync('/dev/full', join(dir, 'web.log'));
  const errors: Error[] = [];
  const log = new PoolOutputLog({ dir, pool: 'web', maxBytes: 1_000_000, maxFiles: 2, onError: (e) => errors.push(e) });
  const src = new PassThrough();
  log.attach('web-1', 'stdout', src);
  for (let i = 0; i < 1000; i++) src.write(`line ${i}\n`);
  src.end();
  await closed(src);
  await log.close();
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.ok(log.droppedBytes > 0);
});
