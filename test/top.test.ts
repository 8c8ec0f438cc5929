/**
 * `paddock top` in a real pseudo-terminal (util-linux `script`): it shows the pools and their
 * workers with live figures, redraws in place, and leaves the terminal as it was on q.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startTestHost, get, helloPool, repoRoot, waitFor, type TestHost } from './helpers/test-host.ts';

const hasScript = spawnSync('script', ['--version']).status === 0;
let h: TestHost;
before(async () => {
  h = await startTestHost({
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/api', pool: 'api' }] }],
    pools: { web: helloPool(), api: helloPool({ startMode: 'AlwaysRunning' }) },
  }, { history: { intervalMs: 200 } });
});
after(() => h?.stop());

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

test('paddock top shows the pools and workers in a terminal, refreshing in place, and quits on q', { skip: !hasScript && 'util-linux script is not installed' }, async () => {
  for (let i = 0; i < 10; i++) assert.equal((await get(`${h.url}/`)).status, 200);
  const argv = [process.execPath, join(repoRoot, 'src/cli/main.ts'), 'top', '--admin', join(h.dir, 'admin.sock'), '--interval', '200'];
  const child = spawn('script', ['-qfc', argv.map(shellQuote).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', COLUMNS: '160', LINES: '40' } });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => (out += s));
  child.stderr.on('data', (s: Buffer) => (out += s.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // Traffic while it runs: the next frames show a rate for web.
    const traffic = setInterval(() => void get(`${h.url}/`).catch(() => {}), 20);
    try {
      await waitFor(() => (out.split('\x1b[H').length - 1) >= 3 && /\nweb\s+started\s+1\/1/.test(stripAnsi(out)), 20_000, `three frames showing web (got ${JSON.stringify(stripAnsi(out).slice(-600))})`);
    } finally {
      clearInterval(traffic);
    }
    const screen = lastFrame(out);
    assert.match(screen, /^POOL\s+STATE\s+WORKERS\s+QUEUED\s+IN-FLIGHT\s+REQ\/S\s+P99\s+ERR\/S\s+MEMORY\s+CPU$/m);
    assert.match(screen, /^web\s+started\s+1\/1\s+0\s+\d+\s+\d+\.\d\s+(\d+(\.\d+)? ms|-)\s+\d+\.\d\s+\d+\.\d MiB\s+\d+%$/m, screen);
    assert.match(screen, /^api\s+started\s+1\/1\s/m);
    assert.match(screen, /^web-\d+\s+\d+\s+ready\s+healthy\s/m);
    assert.match(screen, /^api-\d+\s+\d+\s+ready\s+healthy\s/m);
    assert.ok(out.includes('\x1b[?1049h'), 'it draws on the alternate screen');
    child.stdin.write('q');
    assert.equal(await exited, 0);
    assert.ok(out.includes('\x1b[?1049l'), 'and gives the terminal back');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('paddock top --once prints one frame without terminal codes', async () => {
  // Not spawnSync: the host runs in this process and must answer meanwhile.
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'top', '--once', '--interval', '100', '--admin', join(h.dir, 'admin.sock')], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\x1b/);
  assert.match(r.stdout, /^api\s+started/m);
});

function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** The text of the last complete frame drawn (between the last two cursor-home sequences). */
function lastFrame(s: string): string {
  const frames = s.split('\x1b[H');
  return stripAnsi(frames[frames.length - 2] ?? '');
}
