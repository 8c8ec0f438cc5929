#!/usr/bin/env node
// The `paddock` command. Paddock needs Node.js 24 (it runs its TypeScript sources directly); on an
// older Node this file re-runs the same command line with the Node pinned in the project's
// node_modules, passing signals through (SIGHUP is `reload`, SIGTERM a clean stop of `paddock run`).
// Kept to syntax that old Node versions parse, so that they get this far.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

/** The Node binary pinned in package.json (`node` devDependency), or null. */
function pinnedNode() {
  const candidates = [fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node/bin/node'));
  } catch {
    // not installed as a package either
  }
  return candidates.find((file) => existsSync(file)) ?? null;
}

if (major >= REQUIRED_MAJOR) {
  // Before main.ts itself is stripped and compiled: see main.ts.
  (await import('node:module')).enableCompileCache?.();
  await import('../src/cli/main.ts');
} else {
  const node = pinnedNode();
  if (!node || node === process.execPath) {
    process.stderr.write(
      `paddock: needs Node.js ${REQUIRED_MAJOR} or later, this is ${process.version}; ` +
        `install it, or run \`npm install\` in ${fileURLToPath(new URL('..', import.meta.url))} to get the pinned one\n`,
    );
    process.exit(1);
  }
  const child = spawn(node, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  /** @type {NodeJS.Signals[]} */
  const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  for (const signal of forwarded) {
    process.on(signal, () => {
      try { child.kill(signal); } catch { /* already gone */ }
    });
  }
  child.on('error', (err) => {
    process.stderr.write(`paddock: cannot run ${node}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, so that a shell or supervisor sees what really happened.
      for (const s of forwarded) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
}
