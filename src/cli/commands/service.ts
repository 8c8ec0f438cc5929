/**
 * `paddock service install`: writes a systemd unit that runs the host for a configuration file
 * (the `pm2 startup` of Paddock), and with `--socket` a socket unit that holds the front door's
 * bindings (socket activation); `--print` prints them instead. docs/service.md.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, EXIT } from '../kit/admin-client.ts';
import { globals, println } from '../kit/command-kit.ts';
import { configPath } from '../kit/target.ts';

/** The launcher of this installation: bin/ sits three folders up from src/cli/commands/ and dist/cli/commands/ alike. */
const LAUNCHER = fileURLToPath(new URL('../../../bin/paddock.mjs', import.meta.url));
const NAME = /^[A-Za-z0-9:_.@-]+$/;

interface InstallOptions {
  readonly print?: boolean;
  readonly socket?: boolean;
  readonly name: string;
  readonly dir: string;
  readonly user?: string;
  readonly group?: string;
}

/** Registers `service` and its `install`. */
export function register(program: Command): void {
  const service = program.command('service').description('run the host as a systemd service');
  service
    .command('install')
    .description('write a systemd unit for the configuration file (Type=notify, reload, socket activation with --socket)')
    .option('--print', 'print the unit(s) instead of writing them')
    .option('--socket', 'also write NAME.socket: systemd holds the bindings, so a restart refuses no connection')
    .option('--name <name>', 'unit name', 'paddock')
    .option('--dir <dir>', 'where to write the units', '/etc/systemd/system')
    .option('--user <user>', 'User= of the host (default root, which pool identities and cgroups need)')
    .option('--group <group>', 'Group= of the host')
    .action(async (opts: InstallOptions, cmd: Command) => {
      if (!NAME.test(opts.name)) throw new CliError(EXIT.usage, `--name: not a unit name: ${opts.name}`);
      const file = configPath(globals(cmd));
      const { formatConfigError, loadConfig } = await import('../../config/index.ts');
      const result = loadConfig(file);
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(formatConfigError(e, file) + '\n');
        throw new CliError(EXIT.failed, `${file} has errors; no unit was written`);
      }
      const { serviceUnit, socketUnit, UnitError } = await import('../../service/unit-file.ts');
      const { notifyExecPrefix } = await import('../../service/notify-socket.ts');
      const { hostFlags } = await import('../kit/host-flags.ts');
      const config = result.config;
      const unitOptions = {
        name: opts.name,
        configFile: config.file,
        node: process.execPath,
        launcher: LAUNCHER,
        hostFlags,
        notifyExec: notifyExecPrefix(),
        listen: config.listen,
        drainMs: Math.max(0, ...Object.values(config.pools).map((p) => p.processModel.shutdownTimeLimit)),
        socketActivation: opts.socket === true,
        user: opts.user ?? null,
        group: opts.group ?? null,
      };
      const units: Array<{ file: string; text: string }> = [];
      try {
        units.push({ file: `${opts.name}.service`, text: serviceUnit(unitOptions) });
        if (opts.socket) units.push({ file: `${opts.name}.socket`, text: socketUnit(unitOptions) });
      } catch (err) {
        if (err instanceof UnitError) throw new CliError(EXIT.failed, err.message);
        throw err;
      }
      if (opts.print) {
        println(units.map((u) => `# ${join(resolve(opts.dir), u.file)}\n${u.text}`).join('\n'));
        return;
      }
      for (const u of units) {
        const target = join(resolve(opts.dir), u.file);
        try {
          writeFileSync(target, u.text, { mode: 0o644 });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          const hint = e.code === 'EACCES' || e.code === 'EPERM' ? ' (run as root, or give --dir, or --print)' : '';
          throw new CliError(EXIT.failed, `cannot write ${target}: ${e.message}${hint}`);
        }
        println(`wrote ${target}`);
      }
      const start = opts.socket ? `${opts.name}.socket ${opts.name}.service` : `${opts.name}.service`;
      println(`next: systemctl daemon-reload && systemctl enable --now ${start}`);
    });
}
