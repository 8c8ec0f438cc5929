/**
 * `paddock lb haproxy --hosts A,B`: prints an HAProxy configuration for a farm of Paddock hosts
 * that run this configuration file (src/lb/haproxy.ts): one backend per pool, each checked on the
 * pool's readiness. Reads only the file; no host needs to be running.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { CliError, EXIT } from '../kit/admin-client.ts';
import { globals, println } from '../kit/command-kit.ts';
import { configPath } from '../kit/target.ts';

interface LbOptions {
  readonly hosts: string;
  readonly mode: 'http' | 'tcp';
  readonly bind?: string;
  readonly inter: number;
  readonly fall: number;
  readonly rise: number;
}

function count(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return Number(value);
}

function mode(value: string): 'http' | 'tcp' {
  if (value !== 'http' && value !== 'tcp') throw new InvalidArgumentError('expected http (layer 7) or tcp (layer 4)');
  return value;
}

/** Registers `lb haproxy`. */
export function register(program: Command): void {
  const lb = program.command('lb').description('configuration for a load balancer in front of several Paddock hosts');
  lb.command('haproxy')
    .description('print an HAProxy configuration: one backend per pool, checked on the pool\'s readiness')
    .requiredOption('--hosts <list>', 'the Paddock hosts: ADDRESS[:PORT][@CHECKPORT], comma-separated, each optionally NAME=…')
    .option('--mode <mode>', 'http (routes and retries requests) or tcp (layer 4: one port per pool)', mode, 'http')
    .option('--bind <address>', 'where HAProxy listens (tcp: the first pool\'s port; the next pools take the ports after it)')
    .option('--inter <duration>', 'time between checks', '2s')
    .option('--fall <n>', 'failed checks that take a host out', count, 2)
    .option('--rise <n>', 'passed checks that put it back', count, 2)
    .action(async (opts: Omit<LbOptions, 'inter'> & { inter: string }, cmd: Command) => {
      const file = configPath(globals(cmd));
      const [{ loadConfig, formatConfigError }, { parseBinding }, { parseDuration }, { parseHostList, HostListError }, { haproxyConfig, LbConfigError }] = await Promise.all([
        import('../../config/index.ts'),
        import('../../config/binding.ts'),
        import('../../config/units.ts'),
        import('../../lb/host-list.ts'),
        import('../../lb/haproxy.ts'),
      ]);
      let hosts;
      let bind;
      let interMs;
      try {
        hosts = parseHostList(opts.hosts);
        const b = parseBinding(opts.bind ?? (opts.mode === 'http' ? ':80' : ':9000'));
        bind = { host: b.host, port: b.port };
        interMs = parseDuration(opts.inter);
        if (interMs <= 0) throw new Error('--inter must be more than 0');
      } catch (err) {
        if (err instanceof HostListError) throw new CliError(EXIT.usage, err.message);
        throw new CliError(EXIT.usage, (err as Error).message);
      }
      const result = loadConfig(file);
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(formatConfigError(e, file) + '\n');
        throw new CliError(EXIT.failed, `${result.errors.length} error(s) in ${file}; no HAProxy configuration written`);
      }
      try {
        println(haproxyConfig(result.config, { hosts, mode: opts.mode, bind, interMs, fall: opts.fall, rise: opts.rise, source: file }).trimEnd());
      } catch (err) {
        if (err instanceof LbConfigError) throw new CliError(EXIT.failed, err.message);
        throw err;
      }
    });
}
