import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const trace = fileURLToPath(new URL('./request-trace.mjs', import.meta.url));

// In a child process: the trace patches http.Server for its whole process.
const program = `
import { startRequestTrace, REQUEST_TRACE } from ${JSON.stringify(trace)};
import http from 'node:http';
startRequestTrace();
async function lookUpUser() { await new Promise(() => {}); }
async function handler(req, res) { await lookUpUser(); res.end('x'); }
const s = http.createServer(handler).listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: s.address().port, path: '/users/7?token=secret' }).on('error', () => {});
  const poll = setInterval(() => {
    const list = JSON.parse(globalThis[REQUEST_TRACE]());
    if (list.length === 0 || list[0].stacks.length < 2) return;
    clearInterval(poll);
    console.log(JSON.stringify(list));
    process.exit(0);
  }, 20);
});
setTimeout(() => process.exit(3), 5000);
`;

test('the request trace names each request in hand, without its query, with the stacks where it awaits', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  const list = JSON.parse(r.stdout) as Array<{ method: string; path: string; ageMs: number; stacks: string[] }>;
  assert.equal(list.length, 1);
  assert.equal(list[0].method, 'GET');
  assert.equal(list[0].path, '/users/7');
  const all = list[0].stacks.join('\n');
  assert.match(all, /at lookUpUser \(/);
  assert.match(all, /at (Server\.)?handler \(/);
  assert.doesNotMatch(all, /request-trace\.mjs|node:internal\/async_hooks/, 'the trace\'s own frames are left out');
});
