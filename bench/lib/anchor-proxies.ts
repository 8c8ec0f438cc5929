/**
 * The anchors' front doors and the bare worker: the hello-world worker on a TCP port, nginx and
 * HAProxy in front of it with the configs in bench/, each started in the foreground as its own
 * process (so its CPU is in its own /proc/PID/stat) and stopped with its whole process group.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnTracked, stopChild, type Child } from './children.ts';
import { accepting, waitFor } from './http-probe.ts';
import type { BenchContext } from './context.ts';
import { findExecutable } from './tools.ts';

export interface Running {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly child: Child;
  stop(): Promise<void>;
}

async function started(name: string, child: Child, port: number): Promise<Running> {
  try {
    await waitFor(`${name} on port ${port}`, async () => {
      if (child.hasExited()) throw Object.assign(new Error(`${name} exited at start`), { code: 'BENCH_ANCHOR_EXIT' });
      return accepting({ port });
    }, 15_000, 10);
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    throw err;
  }
  return { name, pid: child.pid, port, child, stop: () => stopChild(child, 'SIGTERM', 5_000) };
}

/** Fills `${NAME}` placeholders of a bench config template. */
export function renderTemplate(file: string, values: Readonly<Record<string, string | number>>): string {
  return readFileSync(file, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

/**
 * How far an anchor spreads (the scaling figure): `parallel` nginx worker processes (under a
 * master process) or HAProxy threads, in front of every port of `upstreamPorts` (round-robin).
 * Absent, each runs as its template says: one process or thread, one upstream.
 */
export interface AnchorOptions {
  readonly parallel?: number;
  readonly upstreamPorts?: readonly number[];
}

/** Replaces the one match of `re` in a rendered template; throws when the template no longer has it. */
function rewrite(text: string, re: RegExp, replacement: string, file: string): string {
  if (!re.test(text)) throw Object.assign(new Error(`${file} has no line matching ${re}`), { code: 'BENCH_TEMPLATE' });
  return text.replace(re, replacement);
}

function nginxConf(text: string, file: string, options: AnchorOptions): string {
  let out = text;
  if (options.parallel !== undefined) {
    // With master_process off nginx runs one worker whatever worker_processes says.
    out = rewrite(out, /^worker_processes \d+;$/m, `worker_processes ${options.parallel};`, file);
    out = rewrite(out, /^master_process off;$/m, 'master_process on;', file);
  }
  if (options.upstreamPorts !== undefined) {
    out = rewrite(out, /server 127\.0\.0\.1:\d+;/, options.upstreamPorts.map((p) => `server 127.0.0.1:${p};`).join(' '), file);
  }
  return out;
}

function haproxyConf(text: string, file: string, options: AnchorOptions): string {
  let out = text;
  if (options.parallel !== undefined) out = rewrite(out, /^(\s*)nbthread \d+$/m, `$1nbthread ${options.parallel}`, file);
  if (options.upstreamPorts !== undefined) {
    out = rewrite(out, /^(\s*)server s1 127\.0\.0\.1:\d+$/m, options.upstreamPorts.map((p, i) => `$1server s${i + 1} 127.0.0.1:${p}`).join('\n'), file);
  }
  return out;
}

/** The hello-world worker alone, on a loopback TCP port. */
export function startDirectWorker(ctx: BenchContext, port: number): Promise<Running> {
  const child = spawnTracked('worker', process.execPath, [ctx.workerFile], {
    env: { PORT: String(port) },
    logFile: path.join(ctx.tmp, `worker-${port}.log`),
  });
  return started('worker', child, port);
}

/** nginx in front of `upstreamPort`, or null when nginx is not installed. */
export async function startNginx(ctx: BenchContext, port: number, upstreamPort: number, options: AnchorOptions = {}): Promise<Running | null> {
  const nginx = findExecutable('nginx');
  if (!nginx) return null;
  const errorLog = path.join(ctx.tmp, 'nginx-error.log');
  const conf = path.join(ctx.tmp, 'nginx.conf');
  const template = path.join(ctx.root, 'bench/nginx.conf');
  writeFileSync(conf, nginxConf(renderTemplate(template, {
    LISTEN_PORT: port,
    UPSTREAM_PORT: upstreamPort,
    PID_FILE: path.join(ctx.tmp, 'nginx.pid'),
    ERROR_LOG: errorLog,
  }), template, options));
  const child = spawnTracked('nginx', nginx, ['-c', conf, '-e', errorLog, '-g', 'daemon off;'], { logFile: errorLog });
  return started('nginx', child, port);
}

/** HAProxy in front of `upstreamPort`, or null when HAProxy is not installed. */
export async function startHaproxy(ctx: BenchContext, port: number, upstreamPort: number, options: AnchorOptions = {}): Promise<Running | null> {
  const haproxy = findExecutable('haproxy');
  if (!haproxy) return null;
  const conf = path.join(ctx.tmp, 'haproxy.cfg');
  const template = path.join(ctx.root, 'bench/haproxy.cfg');
  writeFileSync(conf, haproxyConf(renderTemplate(template, { LISTEN_PORT: port, UPSTREAM_PORT: upstreamPort }), template, options));
  const child = spawnTracked('haproxy', haproxy, ['-f', conf, '-db'], { logFile: path.join(ctx.tmp, 'haproxy.log') });
  return started('haproxy', child, port);
}
