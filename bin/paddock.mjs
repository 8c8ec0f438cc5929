#!/usr/bin/env node
// The `paddock` command. Paddock needs Node.js 24. From a checkout it runs the TypeScript sources
// (src/), from the npm package the JavaScript compiled at `npm pack` (dist/).
//
// On Node 24 or later this process *is* the command, and `paddock run` the host itself: nothing
// is re-spawned, so a signal sent to `paddock`, SIGKILL included, reaches the host. On an older
// Node (a checkout only: the package's `engines` asks for 24) the Node pinned in node_modules runs
// the command instead: in this process where Node can exec (process.execve, same pid), else as a
// child that the kernel kills when this launcher dies (util-linux `setpriv --pdeathsig KILL`), with
// the other signals passed through. Either way, no host is ever left behind the launcher.
// Kept to syntax that old Node versions parse, so that they get this far.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

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

/** util-linux setpriv, which sets the parent-death signal before it execs the child. */
function setpriv() {
  return ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file)) ?? null;
}

if (major >= REQUIRED_MAJOR) {
  const entry = existsSync(source) ? source : built;
  if (!existsSync(entry)) {
    process.stderr.write(`paddock: neither ${fileURLToPath(source)} nor ${fileURLToPath(built)} exists; run \`npm run build\`\n`);
    process.exit(1);
  }
  // Before main itself is loaded and compiled: see main.ts.
  (await import('node:module')).enableCompileCache?.();
  await import(entry.href);
} else {
  const node = pinnedNode();
  if (!node || node === process.execPath) {
    process.stderr.write(
      `paddock: needs Node.js ${REQUIRED_MAJOR} or later, this is ${process.version}` +
        (existsSync(source) ? `; install it, or run \`npm install\` in ${fileURLToPath(new URL('..', import.meta.url))} to get the pinned one\n` : '\n'),
    );
    process.exit(1);
  }
  const argv = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  if (typeof process.execve === 'function') {
    // Node 22.15+: become the pinned Node, same pid; there is no second process at all.
    process.execve(node, [node, ...argv], /** @type {Record<string, string>} */ (process.env));
  }
  const wrapper = setpriv();
  const child = wrapper
    ? spawn(wrapper, ['--pdeathsig', 'KILL', '--', node, ...argv], { stdio: 'inherit' })
    : spawn(node, argv, { stdio: 'inherit' });
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
