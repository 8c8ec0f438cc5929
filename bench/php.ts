/**
 * PHP through FastCGI (issue 16): a small PHP page through Paddock (a pool of php-cgi processes,
 * protocol fastcgi) beside nginx + PHP-FPM (`pm = static`, the same number of children), both
 * with Debian's php packages, in the same run: requests/s and p99 with `wrk -t1 -c64`, then the
 * failed requests of each while one PHP process is killed three times under load. nginx answers
 * 502 for the requests a dead PHP-FPM child held; Paddock retries them (a GET with nothing sent yet).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { renderTemplate } from './lib/anchor-proxies.ts';
import { spawnTracked, stopChild } from './lib/children.ts';
import { FAULT_SECONDS, failedText } from './faults.ts';
import { waitForReady } from './lib/fault-targets.ts';
import { accepting, freePort, probe, sleep, waitFor } from './lib/http-probe.ts';
import { startPaddock } from './lib/paddock-host.ts';
import { cpuSeconds } from './lib/proc-stat.ts';
import { fmt, verdict, type Row, type SectionResult } from './lib/report.ts';
import { closeWaitCount } from './lib/tcp-states.ts';
import { findExecutable } from './lib/tools.ts';
import { describeFailures, runWrk, type WrkResult } from './lib/wrk.ts';

const SECTION = 'PHP (FastCGI)';
/** PHP processes on each side: one per core of the bench machine's two. */
const CHILDREN = 2;
const WARM_SECONDS = 2;
/** Seconds into the fault run at which a PHP process is killed. */
const KILL_AT = [2, 5, 8] as const;
const PAGE = '/index.php';

/** A PHP stack under test: its port, its PHP processes, its front process. */
interface PhpStack {
  readonly name: string;
  readonly port: number;
  /** The process in front (Paddock's host, nginx), for CPU per request. */
  readonly frontPid: number;
  /** The PHP processes serving now. */
  phpPids(): Promise<number[]>;
  stop(): Promise<void>;
}

function docroot(ctx: BenchContext): string {
  return path.join(ctx.root, 'bench/workers/php');
}

/** Paddock with one FastCGI pool of CHILDREN php-cgi workers, started with the host. */
async function paddockPhp(ctx: BenchContext, phpCgi: string, name: string): Promise<PhpStack> {
  const host = await startPaddock(ctx, {
    name,
    port: await freePort(),
    config: {
      sites: [{ name: 'php', hosts: ['*'], apps: [{ path: '/', pool: 'php' }] }],
      pools: {
        php: {
          command: [phpCgi],
          protocol: 'fastcgi',
          documentRoot: docroot(ctx),
          startMode: 'AlwaysRunning',
          processModel: { maxProcesses: CHILDREN, pingInterval: '1s', pingResponseTime: '5s', shutdownTimeLimit: '10s' },
        },
      },
    },
  });
  try {
    await waitForReady(host, 'php', CHILDREN);
  } catch (err) {
    await host.stop();
    throw err;
  }
  return {
    name: `Paddock (${CHILDREN} php-cgi)`,
    port: host.port,
    frontPid: host.pid,
    phpPids: async () => (await host.workers('php')).filter((w) => w.state === 'ready' && w.pid !== null).map((w) => w.pid!),
    stop: async () => {
      await host.stop();
    },
  };
}

/** Pids whose parent is `ppid` (/proc/PID/stat field 4). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** nginx in front of PHP-FPM with CHILDREN static children; null when either is not installed. */
export async function nginxFpm(ctx: BenchContext, name: string): Promise<PhpStack | null> {
  const nginx = findExecutable('nginx');
  const fpm = findExecutable('php-fpm8.2') ?? findExecutable('php-fpm');
  if (nginx === null || fpm === null) return null;
  const dir = path.join(ctx.tmp, name);
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'fpm.sock');
  const fpmConf = path.join(dir, 'php-fpm.conf');
  writeFileSync(fpmConf, renderTemplate(path.join(ctx.root, 'bench/php-fpm.conf'), {
    PID_FILE: path.join(dir, 'fpm.pid'), ERROR_LOG: path.join(dir, 'fpm.log'), SOCKET: socket, CHILDREN,
  }));
  // -R: the bench runs as root, and PHP-FPM refuses root unless told; -F: stay in the foreground.
  const master = spawnTracked('php-fpm', fpm, ['-F', '-R', '-y', fpmConf], { logFile: path.join(dir, 'fpm.out') });
  const port = await freePort();
  const errorLog = path.join(dir, 'nginx-error.log');
  const nginxConf = path.join(dir, 'nginx.conf');
  writeFileSync(nginxConf, renderTemplate(path.join(ctx.root, 'bench/nginx-php.conf'), {
    LISTEN_PORT: port, PID_FILE: path.join(dir, 'nginx.pid'), ERROR_LOG: errorLog, DOCROOT: docroot(ctx), SOCKET: socket,
  }));
  let front: ReturnType<typeof spawnTracked> | null = null;
  try {
    await waitFor('PHP-FPM socket', async () => {
      if (master.hasExited()) throw Object.assign(new Error(`php-fpm exited at start; see ${dir}/fpm.log`), { code: 'BENCH_ANCHOR_EXIT' });
      return (await accepting({ path: socket })) && childrenOf(master.pid).length >= CHILDREN;
    }, 15_000, 20);
    front = spawnTracked('nginx', nginx, ['-c', nginxConf, '-e', errorLog, '-g', 'daemon off;'], { logFile: errorLog });
    await waitFor(`nginx on port ${port}`, () => accepting({ port }), 15_000, 10);
  } catch (err) {
    if (front) await stopChild(front, 'SIGKILL');
    await stopChild(master, 'SIGKILL');
    throw err;
  }
  const nginxChild = front;
  return {
    name: `nginx + PHP-FPM (pm static, ${CHILDREN} children)`,
    port,
    frontPid: nginxChild.pid,
    phpPids: async () => childrenOf(master.pid),
    stop: async () => {
      await stopChild(nginxChild, 'SIGTERM', 5_000);
      await stopChild(master, 'SIGTERM', 5_000);
    },
  };
}

interface Throughput {
  readonly wrk: WrkResult;
  /** CPU of the front process per request, µs. */
  readonly frontUs: number;
}

export async function throughput(ctx: BenchContext, stack: PhpStack): Promise<Throughput> {
  const url = `http://127.0.0.1:${stack.port}${PAGE}`;
  const first = await probe({ port: stack.port, path: PAGE, timeoutMs: 5_000 });
  if (first.status !== 200 || !first.body.startsWith('hello from php')) {
    throw Object.assign(new Error(`${stack.name} answered ${first.status} ${first.body.slice(0, 120)}`), { code: 'BENCH_PHP_PAGE' });
  }
  await runWrk(ctx.wrk as string, { url, seconds: WARM_SECONDS });
  const before = cpuSeconds(stack.frontPid);
  const wrk = await runWrk(ctx.wrk as string, { url, seconds: ctx.seconds });
  return { wrk, frontUs: ((cpuSeconds(stack.frontPid) - before) / Math.max(1, wrk.requests)) * 1e6 };
}

interface KillRun {
  readonly wrk: WrkResult;
  readonly unanswered: number;
  readonly failed: number;
  readonly notes: string[];
}

/** wrk for FAULT_SECONDS while one PHP process is killed at each KILL_AT second. */
export async function killRun(ctx: BenchContext, stack: PhpStack): Promise<KillRun> {
  const url = `http://127.0.0.1:${stack.port}${PAGE}`;
  const notes: string[] = [];
  await runWrk(ctx.wrk as string, { url, seconds: WARM_SECONDS });
  const load = runWrk(ctx.wrk as string, { url, seconds: FAULT_SECONDS });
  const t0 = Date.now();
  for (const [i, at] of KILL_AT.entries()) {
    await sleep(Math.max(0, t0 + at * 1000 - Date.now()));
    const pids = await stack.phpPids();
    const pid = pids[i % Math.max(1, pids.length)];
    if (pid === undefined) {
      notes.push(`kill ${i + 1}: no PHP process to kill`);
      continue;
    }
    try {
      process.kill(pid, 'SIGKILL');
      notes.push(`kill ${i + 1}: pid ${pid} (of ${pids.length})`);
    } catch (err) {
      notes.push(`kill ${i + 1}: ${(err as Error).message}`);
    }
  }
  const wrk = await load;
  await sleep(1000);
  const unanswered = closeWaitCount(stack.port);
  return { wrk, unanswered, failed: wrk.failed + unanswered, notes };
}

async function withStack<T>(start: () => Promise<PhpStack | null>, body: (s: PhpStack) => Promise<T>): Promise<T | null> {
  const stack = await start();
  if (stack === null) return null;
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

/** Runs the PHP figures. */
export async function runPhpBench(ctx: BenchContext): Promise<SectionResult> {
  const phpCgi = findExecutable('php-cgi');
  if (!ctx.wrk || phpCgi === null) {
    const why = !ctx.wrk ? 'wrk not installed' : 'php-cgi not installed (apt-get install php-cgi)';
    return { rows: [{ section: SECTION, figure: 'PHP page', paddock: why, anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  ctx.log('php: Paddock throughput');
  const mine = (await withStack(() => paddockPhp(ctx, phpCgi, 'php-throughput'), (s) => throughput(ctx, s)))!;
  ctx.log('php: nginx + PHP-FPM throughput');
  const theirs = await withStack(() => nginxFpm(ctx, 'fpm-throughput'), (s) => throughput(ctx, s));
  ctx.log('php: Paddock, kill -9 of a php-cgi ×3');
  const mineKill = (await withStack(() => paddockPhp(ctx, phpCgi, 'php-kill'), (s) => killRun(ctx, s)))!;
  ctx.log('php: nginx + PHP-FPM, kill -9 of a child ×3');
  const theirsKill = await withStack(() => nginxFpm(ctx, 'fpm-kill'), (s) => killRun(ctx, s));
  const anchorName = `nginx + PHP-FPM (pm static ×${CHILDREN})`;
  const missing = 'nginx or php-fpm not installed';
  const rows: Row[] = [
    {
      section: SECTION,
      figure: `PHP page requests/s; p99 (wrk -t1 -c64, ${CHILDREN} PHP processes)`,
      paddock: `${fmt(mine.wrk.rps, '', 0)}; ${fmt(mine.wrk.p99Ms, 'ms')}`,
      anchor: theirs ? `${anchorName} ${fmt(theirs.wrk.rps, '', 0)}; ${fmt(theirs.wrk.p99Ms, 'ms')}` : missing,
      target: '—',
      verdict: 'info',
    },
    {
      section: SECTION,
      figure: 'PHP: failed requests, kill -9 of a PHP process ×3 under load',
      paddock: failedText(mineKill.failed, mineKill.wrk.requests, mineKill.wrk, mineKill.unanswered),
      anchor: theirsKill ? `${anchorName} ${failedText(theirsKill.failed, theirsKill.wrk.requests, theirsKill.wrk, theirsKill.unanswered)}` : missing,
      target: '0',
      verdict: verdict(mineKill.failed === 0),
    },
  ];
  const line = (label: string, t: Throughput | null): string =>
    t === null ? `${label}: ${missing}` : `${label}: ${fmt(t.wrk.rps, 'req/s', 0)}, p50 ${fmt(t.wrk.p50Ms, 'ms')}, p99 ${fmt(t.wrk.p99Ms, 'ms')}, ${describeFailures(t.wrk)}; front process CPU ${fmt(t.frontUs, 'µs', 1)}/request`;
  const killLine = (label: string, k: KillRun | null): string =>
    k === null ? `${label}: ${missing}` : `${label}, kill -9 ×3: ${describeFailures(k.wrk)}; never answered: ${k.unanswered}; ${k.wrk.rps.toFixed(0)} req/s. ${k.notes.join('; ')}`;
  return {
    rows,
    details: [
      `Page ${PAGE} (bench/workers/php), Debian's php-cgi and php-fpm with their own php.ini; nginx with Debian's fastcgi_params and try_files, no FastCGI keep-alive (its default); Paddock with FCGI_KEEP_CONN.`,
      line(`Paddock (${CHILDREN} php-cgi)`, mine),
      line(anchorName, theirs),
      killLine(`Paddock (${CHILDREN} php-cgi)`, mineKill),
      killLine(anchorName, theirsKill),
    ],
  };
}
