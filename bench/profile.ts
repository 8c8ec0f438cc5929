/**
 * Where the front door's CPU goes: runs the host under `node --cpu-prof` behind `wrk -t1 -c64`
 * on the hello-world worker (the throughput figure's setup), then prints the host's user and
 * system µs per request and the top self times by function and by area. The profiler itself costs
 * a little CPU, so the µs figures here run a bit above the throughput figure's.
 *
 * Run: node bench/profile.ts [unix|tcp]      (PROFILE_SECONDS=10, PROFILE_TOP=25, BENCH_KEEP=1
 * keeps the .cpuprofile for DevTools or a flame graph)
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { stopAll } from './lib/children.ts';
import { createContext } from './lib/context.ts';
import { selfTimeTable, summarizeProfileFile } from './lib/cpu-profile.ts';
import { freePort } from './lib/http-probe.ts';
import { startPaddock } from './lib/paddock-host.ts';
import { cpuTimes } from './lib/proc-stat.ts';
import { cpuModel } from './lib/report.ts';
import { runWrk } from './lib/wrk.ts';

const listen = process.argv[2] === 'tcp' ? 'tcp' : 'unix';
const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
const top = Number(process.env.PROFILE_TOP ?? 25);

const ctx = createContext();
if (!ctx.wrk) throw new Error('wrk is not installed');
const profDir = path.join(ctx.tmp, 'prof');
try {
  const host = await startPaddock(ctx, {
    name: 'profile',
    port: await freePort(),
    config: {
      sites: [{ name: 'hello', hosts: ['*'], apps: [{ path: '/', pool: 'hello' }] }],
      pools: { hello: { command: ['node', ctx.workerFile], runtime: 'node', listen } },
    },
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250'],
  });
  const url = `http://127.0.0.1:${host.port}/`;
  await runWrk(ctx.wrk, { url, seconds: 2 });
  const before = cpuTimes(host.pid);
  const wrk = await runWrk(ctx.wrk, { url, seconds });
  const after = cpuTimes(host.pid);
  await host.stop();
  // The host's short-lived children (the config parser) inherit --cpu-prof too: the host's own
  // profile is the largest file.
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  const file = files.sort((a, b) => statSync(path.join(profDir, b)).size - statSync(path.join(profDir, a)).size)[0];
  if (file === undefined) throw new Error(`the host wrote no profile into ${profDir}`);
  const s = summarizeProfileFile(path.join(profDir, file));
  const per = (sec: number): string => ((sec / Math.max(1, wrk.requests)) * 1e6).toFixed(1);
  console.log(`CPU: ${cpuModel()}; ${listen} upstream; wrk -t1 -c64 -d${seconds}s: ${wrk.requests} requests, ${wrk.rps.toFixed(0)}/s, ${wrk.failed} failed`);
  console.log(`host CPU per request (under the profiler): user ${per(after.user - before.user)} µs + system ${per(after.system - before.system)} µs`);
  console.log(`busy time sampled over the host's whole life (start and warm-up included): ${(s.busyMs / 1000).toFixed(2)} s\n`);
  console.log(selfTimeTable('function (self time)', s.functions, top));
  console.log('');
  console.log(selfTimeTable('area (self time)', s.areas, 15));
  if (process.env.BENCH_KEEP === '1') console.log(`\nprofile: ${path.join(profDir, file)}`);
} finally {
  await stopAll();
  if (process.env.BENCH_KEEP !== '1') rmSync(ctx.tmp, { recursive: true, force: true });
}
