/**
 * Reading a worker output log for `paddock logs POOL [--follow]`: the last lines, then (like
 * `tail -F`) new lines as they are written, across rotations. Polls rather than using fs.watch,
 * whose rename and recreate notices differ between file systems and are lost on some.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter } from './line-splitter.ts';

export interface FollowLogOptions {
  /** How many of the last lines to yield first (0: none). */
  lines: number;
  /** Keep yielding lines as the file grows, until `signal` aborts or the consumer stops. */
  follow: boolean;
  signal?: AbortSignal;
  /** How often a followed file is checked for growth and rotation. Default 250 ms. */
  intervalMs?: number;
}

const BLOCK = 64 * 1024;

/** The last `lines` lines of `file`, then with `follow` each new line; a missing file is waited for. */
export async function* followLog(file: string, options: FollowLogOptions): AsyncGenerator<string> {
  const interval = options.intervalMs ?? 250;
  const signal = options.signal;
  // A followed file's unterminated last line is held back until its newline arrives.
  const splitter = new LineSplitter();
  let fh = await openIfExists(file);
  let ino = -1;
  let pos = 0;
  try {
    if (fh) {
      const st = await fh.stat();
      ino = st.ino;
      pos = st.size;
      const n = Math.max(0, Math.floor(options.lines));
      const { lines, rest } = await lastLines(fh, st.size, n);
      if (!options.follow) {
        // Like tail(1), an unterminated last line counts as a line.
        const all = rest.length > 0 ? [...lines, ...splitter.push(rest), ...splitter.flush()] : lines;
        yield* n === 0 ? [] : all.slice(-n);
        return;
      }
      yield* lines;
      splitter.push(rest);
    }
    if (!options.follow) return;

    while (!signal?.aborted) {
      if (fh) {
        for (;;) {
          const chunk = await readAt(fh, pos);
          if (chunk.length === 0) break;
          pos += chunk.length;
          yield* splitter.push(chunk);
        }
      }
      const st = await stat(file).catch(() => null);
      if (st && st.ino !== ino) {
        // Rotated (renamed and recreated): what was left in the old file has just been read.
        yield* splitter.flush();
        await fh?.close();
        fh = await openIfExists(file);
        if (fh) ino = (await fh.stat()).ino;
        pos = 0;
        continue;
      }
      if (st && fh && st.size < pos) {
        // Truncated in place (copytruncate): start again from the top.
        pos = 0;
        continue;
      }
      try {
        await sleep(interval, undefined, { signal });
      } catch {
        return; // aborted
      }
    }
  } finally {
    await fh?.close().catch(() => {});
  }
}

async function openIfExists(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function readAt(fh: FileHandle, pos: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(BLOCK);
  const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
  return buf.subarray(0, bytesRead);
}

/** Reads backwards from `size` until `n` complete lines are found; `rest` is an unterminated last line. */
async function lastLines(fh: FileHandle, size: number, n: number): Promise<{ lines: string[]; rest: Buffer }> {
  const blocks: Buffer[] = [];
  let start = size;
  let newlines = 0;
  // n + 1 newlines: the one before the first wanted line bounds it.
  while (start > 0 && newlines <= n) {
    const len = Math.min(BLOCK, start);
    start -= len;
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(buf, 0, len, start);
    const got = buf.subarray(0, bytesRead);
    blocks.unshift(got);
    for (let i = got.indexOf(0x0a); i !== -1; i = got.indexOf(0x0a, i + 1)) newlines++;
  }
  const data = Buffer.concat(blocks);
  const lastNl = data.lastIndexOf(0x0a);
  const rest = Buffer.from(data.subarray(lastNl + 1));
  if (lastNl === -1) return { lines: [], rest: start === 0 ? rest : Buffer.alloc(0) };
  const splitter = new LineSplitter();
  let lines = splitter.push(data.subarray(0, lastNl + 1));
  // Reading began mid-file: the first piece is the end of an earlier line.
  if (start > 0) lines = lines.slice(1);
  return { lines: n === 0 ? [] : lines.slice(-n), rest };
}
