/**
 * Which host a command talks to: `--admin SOCKET|URL` when given, else the admin socket named by
 * the configuration file (`--config FILE`, `$PADDOCK_CONFIG`, or `./paddock.yaml`).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { HOST_DEFAULTS } from '../../config/defaults.ts';
import { CliError, EXIT, type AdminTarget } from './admin-client.ts';

/** Options every command accepts (declared once on the program). */
export interface GlobalOptions {
  readonly config?: string;
  readonly admin?: string;
  readonly token?: string;
  readonly json?: boolean;
}

/** The configuration file a command means: `--config`, else `$PADDOCK_CONFIG`, else ./paddock.yaml. */
export function configPath(opts: GlobalOptions): string {
  return resolve(opts.config ?? process.env.PADDOCK_CONFIG ?? 'paddock.yaml');
}

/**
 * The admin socket of a file that the full loader refuses. An operator who has just broken the file
 * must still reach the running host (to see `paddock reload` refuse it), so only the two keys that
 * place the socket are read, resolved as the loader resolves them.
 */
function socketOfBrokenFile(file: string): string | null {
  try {
    // Loaded here only: `paddock run` should not carry the YAML parser for the host's lifetime.
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    const doc = parse(readFileSync(file, 'utf8')) as { dataDir?: unknown; admin?: { socket?: unknown } } | null;
    const dataDir = resolve(dirname(file), typeof doc?.dataDir === 'string' ? doc.dataDir : HOST_DEFAULTS.dataDir);
    const socket = typeof doc?.admin?.socket === 'string' ? doc.admin.socket : HOST_DEFAULTS.adminSocket;
    return isAbsolute(socket) ? socket : resolve(dataDir, socket);
  } catch {
    return null;
  }
}

/** The admin socket named by a configuration file. */
export async function socketFromConfig(opts: GlobalOptions): Promise<string> {
  const file = configPath(opts);
  // The loader (and its schema library) loads only when a command needs the file: most startup
  // time of a command such as `paddock pools --admin S` would otherwise go there.
  const { loadConfig } = await import('../../config/load.ts');
  const result = loadConfig(file);
  if (result.ok) return result.config.admin.socket;
  if (result.errors.some((e) => e.code === 'CONFIG_READ')) {
    const given = opts.config !== undefined || process.env.PADDOCK_CONFIG !== undefined;
    throw new CliError(
      given ? EXIT.failed : EXIT.usage,
      `cannot read ${file}: ${result.errors[0].message.replace(/^cannot read the configuration file: /, '')}; ` +
        'give --config FILE or --admin SOCKET|URL',
    );
  }
  const socket = socketOfBrokenFile(file);
  if (!socket) throw new CliError(EXIT.failed, `${file} is not valid YAML; give --admin SOCKET|URL (run \`paddock check\` for details)`);
  return socket;
}

/** The host a command talks to. */
export async function resolveTarget(opts: GlobalOptions): Promise<AdminTarget> {
  const token = opts.token ?? process.env.PADDOCK_TOKEN ?? null;
  if (opts.admin !== undefined) {
    if (/^https?:\/\//i.test(opts.admin)) {
      let url: URL;
      try {
        url = new URL(opts.admin);
      } catch {
        throw new CliError(EXIT.usage, `--admin: not a valid URL: ${opts.admin}`);
      }
      return { kind: 'tcp', url, token };
    }
    return { kind: 'socket', socket: resolve(opts.admin) };
  }
  return { kind: 'socket', socket: await socketFromConfig(opts) };
}
