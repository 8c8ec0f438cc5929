import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followLog } from './read-log.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-readlog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of gen) out.push(line);
  return out;
}

/** The next `n` lines of a followed log. */
async function take(it: AsyncGenerator<string>, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const r = await it.next();
    assert.ok(!r.done, 'the follower ended early');
    out.push(r.value);
  }
  return out;
}

test('yields the last N lines, reading back across blocks', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'web.log');
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'-'.repeat(200)}`);
  writeFileSync(file, lines.join('\n') + '\n');
  assert.deepEqual(await collect(followLog(file, { lines: 5, follow: false })), lines.slice(-5));
  assert.deepEqual(await collect(followLog(file, { lines: 700, follow: false })), lines.slice(-700));
  assert.deepEqual(await collect(followLog(file, { lines: 5000, follow: false })), lines);
  assert.deepEqual(await collect(followLog(file, { lines: 0, follow: false })), []);
});

test('an unterminated last line counts, CRLF is trimmed, a missing file yields nothing', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'p.log');
  writeFileSync(file, 'a\r\nb\nc');
  assert.deepEqual(await collect(followLog(file, { lines: 2, follow: false })), ['b', 'c']);
  assert.deepEqual(await collect(followLog(file, { lines: 10, follow: false })), ['a', 'b', 'c']);
  writeFileSync(file, 'only');
  assert.deepEqual(await collect(followLog(file, { lines: 3, follow: false })), ['only']);
  writeFileSync(file, '');
  assert.deepEqual(await collect(followLog(file, { lines: 3, follow: false })), []);
  assert.deepEqual(await collect(followLog(join(dir, 'missing.log'), { lines: 3, follow: false })), []);
});

test('follows growth, holds a half-written line, and survives rotation', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'web.log');
  writeFileSync(file, 'one\ntwo\nthr');
  const ac = new AbortController();
  const it = followLog(file, { lines: 1, follow: true, signal: ac.signal, intervalMs: 10 });
  assert.deepEqual(await take(it, 1), ['two']);

  appendFileSync(file, 'ee\nfour\n');
  assert.deepEqual(await take(it, 2), ['three', 'four']);

  // Rotation as PoolOutputLog does it: the last lines go to the old file, then rename, then a new file.
  appendFileSync(file, 'five\nsix');
  renameSync(file, file + '.1');
  writeFileSync(file, 'seven\n');
  appendFileSync(file, 'eight\n');
  assert.deepEqual(await take(it, 4), ['five', 'six', 'seven', 'eight']);

  // Truncation in place starts again from the top.
  writeFileSync(file, 'x\n');
  assert.deepEqual(await take(it, 1), ['x']);

  ac.abort();
  assert.equal((await it.next()).done, true);
});

test('a followed file that does not exist yet is waited for', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'later.log');
  const it = followLog(file, { lines: 10, follow: true, intervalMs: 10 });
  const first = take(it, 2);
  setTimeout(() => writeFileSync(file, 'hello\nworld\n'), 30);
  assert.deepEqual(await first, ['hello', 'world']);
  await it.return(undefined);
});
