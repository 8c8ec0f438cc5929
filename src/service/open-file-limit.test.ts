import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((f) => existsSync(f));
const module_ = fileURLToPath(new URL('./open-file-limit.ts', import.meta.url));

test('a soft open-file limit below the hard one is raised with prlimit, and said', (t) => {
  if (prlimit === undefined) return t.skip('util-linux prlimit is not installed');
  // Node raises its own soft limit as it starts, so a child lowers it again first, then asks.
  const script = `
    import { execFileSync } from 'node:child_process';
    const { raiseOpenFileLimit, describeOpenFileLimit, readOpenFileLimit } = await import(${JSON.stringify(module_)});
    const hard = Math.min(readOpenFileLimit().hard, 4096);
    execFileSync(${JSON.stringify(prlimit)}, ['--pid', String(process.pid), '--nofile=256:' + hard]);
    const got = raiseOpenFileLimit();
    console.log(JSON.stringify({ got, line: describeOpenFileLimit(got), now: readOpenFileLimit(), hard }));
  `;
  const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
    got: { soft: number; hard: number; was: number; problem: string | null }; line: string; now: { soft: number; hard: number }; hard: number;
  };
  assert.deepEqual(r.got, { soft: r.hard, hard: r.hard, was: 256, problem: null });
  assert.deepEqual(r.now, { soft: r.hard, hard: r.hard });
  assert.equal(r.line, `open-file limit raised from 256 to ${r.hard} (the hard limit)`);
});
