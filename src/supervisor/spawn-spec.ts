/**
 * How a worker is started: argv (never a shell), environment, and the wrapper that ties the
 * worker's life to the host's.
 *
 * Every worker is started through util-linux `setpriv --pdeathsig KILL`, so the kernel kills it
 * when the host dies, even by SIGKILL; a worker with the control channel also exits when the
 * channel closes. `setpriv` also switches to the pool's identity (--reuid/--regid/--init-groups;
 * --clear-groups and --no-new-privs for an ApplicationPoolIdentity, docs/identity.md).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PoolConfig } from '../config/types.ts';
import type { Identity } from './identity.ts';
import { workerArgv } from './worker-argv.ts';
import { portValue, socketAlias, type WorkerAddress } from './worker-port.ts';
import { fastcgiArgv, fastcgiEnv } from './fastcgi-worker.ts';

export const sdkRegisterPath = fileURLToPath(new URL('../worker-sdk/node/register.mjs', import.meta.url));

const setprivCandidates = ['/usr/bin/setpriv', '/bin/setpriv'];
/** The setpriv binary, or null where util-linux lacks it (then identities cannot be switched). */
export const setprivPath: string | null = setprivCandidates.find((p) => existsSync(p)) ?? null;

export type { WorkerAddress } from './worker-port.ts';

export interface SpawnSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** A FastCGI worker's listening socket, handed to it as fd 0 (FCGI_LISTENSOCK_FILENO); else stdin is /dev/null. */
  readonly stdin?: number;
}

export interface SpawnInputs {
  readonly pool: PoolConfig;
  readonly workerId: string;
  readonly address: WorkerAddress;
  readonly identity: Identity;
  /** Extra Node options for runtime node (diagnostic flags), appended after the SDK import. */
  readonly nodeOptions: readonly string[];
  /** Extra environment (diagnostics and SDK knobs). */
  readonly extraEnv: Readonly<Record<string, string>>;
  readonly baseEnv: NodeJS.ProcessEnv;
  /** A FastCGI worker's listening socket (SpawnSpec.stdin). */
  readonly stdin?: number;
  /** The program file the pool's identity runs (identity-access.ts), in place of the command's name. */
  readonly program?: string;
  /** The worker's cgroup: the cgroup.procs files it joins before its command runs (joinCgroup). */
  readonly cgroupProcs?: readonly string[];
}

/**
 * Joins the worker's cgroup before anything of the worker runs: a tiny `sh` writes its own pid
 * ($$, which exec keeps) to each cgroup.procs, then execs the rest. Writing the pid from the host
 * after the spawn would race the command's first fork, and CLONE_INTO_CGROUP is v2 only and out of
 * Node's reach; the join runs as the host (before setpriv changes identity), so the files need no
 * permission for the pool's user. A failed join ends the worker with 125 and says why on stderr.
 */
const joinScript = 'while [ "$1" != -- ]; do echo $$ > "$1" || { echo "paddock: cannot join the worker\'s cgroup ($1)" >&2; exit 125; }; shift; done; shift; exec "$@"';

/** Prefixes argv with the cgroup join (see joinScript). */
export function joinCgroup(argv: readonly string[], procsFiles: readonly string[]): string[] {
  if (procsFiles.length === 0) return [...argv];
  return ['/bin/sh', '-c', joinScript, 'paddock-join', ...procsFiles, '--', ...argv];
}

/**
 * A pool with `diagnostics.coreDumps` has its workers' core limit raised (soft to hard, which needs
 * no privilege) before the command runs, so a worker that crashes in its first milliseconds leaves a
 * core too; raising the limit of the running process afterwards (core-dumps.ts) would race it. The
 * limit is kept across the identity switch and the exec.
 */
const coreLimitScript = 'ulimit -S -c "$(ulimit -H -c)" 2>/dev/null; exec "$@"';

/** Builds the argv and environment of one worker. Pure, so it is tested without processes. */
export function buildSpawnSpec(inputs: SpawnInputs): SpawnSpec {
  const { pool, address, identity } = inputs;
  const fastcgi = pool.protocol === 'fastcgi';
  const named = workerArgv(pool, portValue(address));
  if (inputs.program !== undefined && named.length > 0) named[0] = inputs.program;
  const argv = fastcgi ? fastcgiArgv(named) : named;

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs.baseEnv)) {
    if (v !== undefined && !k.startsWith('PADDOCK_') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  if (fastcgi) {
    const php = fastcgiEnv(pool);
    Object.assign(env, php.defaults, pool.env, inputs.extraEnv, php.forced);
  } else {
    Object.assign(env, pool.env, inputs.extraEnv);
  }
  env.PORT = portValue(address);
  const socket = socketAlias(address);
  if (socket !== null) env.PADDOCK_SOCKET = socket;
  env.PADDOCK_POOL = pool.name;
  env.PADDOCK_WORKER = inputs.workerId;
  env.PADDOCK_CONTROL_FD = '3';
  if (pool.runtime === 'node') {
    const own = pool.env.NODE_OPTIONS ? ' ' + pool.env.NODE_OPTIONS : '';
    env.NODE_OPTIONS = [`--import=${sdkRegisterPath}`, ...inputs.nodeOptions].join(' ') + own;
    env.PADDOCK_EVENT_LOOP_DELAY_LIMIT_MS = String(pool.processModel.eventLoopDelayLimit);
    env.PADDOCK_EVENT_LOOP_DELAY_TIME_MS = String(pool.processModel.eventLoopDelayTime);
  }

  const stdin = inputs.stdin === undefined ? {} : { stdin: inputs.stdin };
  const join = (full: readonly string[]): SpawnSpec => {
    const withCores = pool.diagnostics.coreDumps ? ['/bin/sh', '-c', coreLimitScript, 'paddock-cores', ...full] : full;
    const joined = joinCgroup(withCores, inputs.cgroupProcs ?? []);
    return { file: joined[0], args: joined.slice(1), env, cwd: pool.cwd, ...stdin };
  };
  if (setprivPath === null) return join(argv);
  const wrapper = ['--pdeathsig', 'KILL'];
  // ApplicationPoolIdentity: a uid with no passwd entry, so no groups to init; and no_new_privs,
  // so no setuid program gives it more than it has.
  const dynamic = identity.type === 'ApplicationPoolIdentity';
  if (identity.uid !== null) wrapper.push('--reuid', String(identity.uid), ...(dynamic ? [] : ['--init-groups']));
  if (identity.gid !== null) wrapper.push('--regid', String(identity.gid));
  if ((identity.uid === null || dynamic) && identity.gid !== null) wrapper.push('--clear-groups');
  if (dynamic) wrapper.push('--no-new-privs');
  return join([setprivPath, ...wrapper, '--', ...argv]);
}
