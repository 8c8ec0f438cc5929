/**
 * The `paddock` command line: global options, the commands, and the mapping of every outcome to
 * an exit code (0 ok, 1 command failed, 2 usage error, 3 host not reachable).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './kit/admin-client.ts';
import { COMMANDS } from './commands/index.ts';

/** The package's version: package.json sits two folders up from src/cli/ and from dist/cli/ alike. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** Builds the program; `run` wires it to the process. */
export function buildProgram(): Command {
  const program = new Command('paddock')
    .description('an application-pool host: IIS worker process isolation mode for any web app')
    .version(packageVersion(), '-V, --version', 'print the version of paddock')
    .option('-c, --config <file>', 'configuration file (default $PADDOCK_CONFIG or ./paddock.yaml); the admin socket is read from it')
    .option('--admin <socket|url>', "the host's admin socket, or http://HOST:PORT of its TCP admin listener")
    .option('--token <token>', 'bearer token for a TCP admin listener (default $PADDOCK_TOKEN)')
    .option('--json', 'print the API\'s JSON instead of tables')
    .showHelpAfterError('(run paddock --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the command line `argv` (as process.argv) and returns the exit code; prints failures. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its own message; help and version requested are not failures.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`paddock: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`paddock: ${(err as Error)?.stack ?? err}\n`);
    return EXIT.failed;
  }
}
