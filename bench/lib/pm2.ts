/**
 * PM2 in cluster mode, the anchor for faults under load: installed on first use into bench/.pm2
 * (ignored by git, never a dependency of the project), run in the foreground with `pm2-runtime`
 * so its daemon and cluster workers share one process group the bench can stop, and driven with
 * the `pm2` CLI against the same PM2_HOME.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnTracked, stopChild, type Child } from './children.ts';
import { accepting, waitFor } from './http-probe.ts';
import type { BenchContext } from './context.ts';
import { once } from './context.ts';
import { findExecutable } from './tools.ts';

const run = promisify(execFile);
const APP = 'bench';

export interface Pm2Cluster {
  readonly port: number;
  readonly child: Child;
  /** Pids of the cluster's workers that PM2 lists as online. */
  workerPids(): Promise<number[]>;
  /** `pm2 reload bench`: PM2's zero-downtime reload. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

function pm2Dir(ctx: BenchContext): string {
  return path.join(ctx.root, 'bench/.pm2');
}

function pm2Bin(ctx: BenchContext, name: 'pm2' | 'pm2-runtime'): string {
  return path.join(pm2Dir(ctx), 'node_modules/pm2/bin', name);
}

/** Installs PM2 into bench/.pm2 on first use; resolves with its version, or null when it cannot. */
export function ensurePm2(ctx: BenchContext): Promise<string | null> {
  return once(ctx, 'pm2-install', async () => {
    const pkg = path.join(pm2Dir(ctx), 'node_modules/pm2/package.json');
    if (!existsSync(pkg)) {
      const npm = findExecutable('npm');
      if (!npm) return null;
      ctx.log('installing PM2 into bench/.pm2 (first run only)');
      mkdirSync(pm2Dir(ctx), { recursive: true });
      try {
        await run(npm, ['install', '--prefix', pm2Dir(ctx), 'pm2@latest', '--no-save', '--no-audit', '--no-fund'], {
          env: pathWithNode(),
          timeout: 300_000,
        });
      } catch (err) {
        ctx.log(`PM2 could not be installed: ${(err as Error).message.split('\n')[0]}`);
        return null;
      }
    }
    try {
      const { stdout } = await run(process.execPath, [pm2Bin(ctx, 'pm2'), '--version'], { env: pm2Env(ctx), timeout: 30_000 });
      return stdout.trim().split('\n').pop() ?? 'unknown';
    } catch {
      return null;
    }
  });
}

/** This Node first on PATH, so PM2 and its workers run on the same Node as everything else. */
function pathWithNode(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
}

function pm2Env(ctx: BenchContext): NodeJS.ProcessEnv {
  return { ...pathWithNode(), PM2_HOME: path.join(ctx.tmp, 'pm2home') };
}

interface Pm2Process {
  readonly pid: number;
  readonly name: string;
  readonly pm2_env: { readonly status: string };
}

/** Starts the hello-world worker under PM2 in cluster mode with `instances` workers on `port`. */
export async function startPm2Cluster(ctx: BenchContext, port: number, instances = 2): Promise<Pm2Cluster> {
  const eco = path.join(ctx.tmp, `pm2-${port}.config.cjs`);
  writeFileSync(eco, `module.exports = ${JSON.stringify({
    apps: [{ name: APP, script: ctx.workerFile, exec_mode: 'cluster', instances, env: { PORT: String(port) } }],
  })};\n`);
  const env = pm2Env(ctx);
  const child = spawnTracked('pm2-runtime', process.execPath, [pm2Bin(ctx, 'pm2-runtime'), 'start', eco], {
    env,
    logFile: path.join(ctx.tmp, `pm2-${port}.log`),
  });
  const cli = async (args: readonly string[]): Promise<string> =>
    (await run(process.execPath, [pm2Bin(ctx, 'pm2'), ...args], { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 })).stdout;
  const workerPids = async (): Promise<number[]> => {
    const list = JSON.parse(await cli(['jlist'])) as Pm2Process[];
    return list.filter((p) => p.name === APP && p.pm2_env.status === 'online' && p.pid > 0).map((p) => p.pid);
  };
  try {
    await waitFor(`PM2 cluster on port ${port}`, async () => {
      if (child.hasExited()) throw Object.assign(new Error('pm2-runtime exited at start'), { code: 'BENCH_ANCHOR_EXIT' });
      return (await accepting({ port })) && (await workerPids()).length === instances;
    }, 30_000, 100);
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    throw err;
  }
  return {
    port,
    child,
    workerPids,
    reload: async () => {
      await cli(['reload', APP]);
    },
    stop: () => stopChild(child, 'SIGINT', 10_000),
  };
}
