// The `drc` command: dispatch to subcommands; one-line errors; exit 0 ok, 1 failed, 2 usage/config.
import { HubError } from '../client/api-client.js';
import { ConfigError, ValueFormatError } from '../config/index.js';
import { StoreError } from '../store/errors.js';
import { agent, agentHelp } from './commands/agent.js';
import { backup, backupHelp } from './commands/backup.js';
import { hosts, hostsHelp } from './commands/hosts.js';
import { points, pointsHelp } from './commands/points.js';
import { restore, restoreHelp } from './commands/restore.js';
import { serve, serveHelp } from './commands/serve.js';
import { status, statusHelp } from './commands/status.js';
import { OperationError, UsageError } from './errors.js';

type Command = { run: (argv: string[]) => Promise<number>; help: string; about: string };

export const COMMANDS: Record<string, Command> = {
  serve: { run: serve, help: serveHelp, about: 'run the hub in the foreground (SIGTERM stops it cleanly)' },
  agent: { run: agent, help: agentHelp, about: 'run an agent that protects this host\'s volumes' },
  hosts: { run: hosts, help: hostsHelp, about: 'list hosts, add one (prints its token once), revoke a token' },
  backup: { run: backup, help: backupHelp, about: 'back a host up now' },
  points: { run: points, help: pointsHelp, about: 'list a host\'s recovery points' },
  restore: { run: restore, help: restoreHelp, about: 'rebuild a volume at a recovery point into a file' },
  status: { run: status, help: statusHelp, about: 'hub, hosts, jobs and store at a glance' },
};

export function helpText(): string {
  const lines = ['drc — DR Cockpit: backup and disaster recovery from the terminal', '', 'Usage: drc COMMAND [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.about}`, `             drc ${c.help}`);
  lines.push('', 'Common options: --config FILE, --data DIR, --hub URL|SOCKET, --json, --debug', 'See README.md and docs/ for details.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  const [cmd, ...rest] = argv;
  let code = 0;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      if (cmd === undefined && COMMANDS.cockpit) code = await COMMANDS.cockpit.run([]);
      else process.stdout.write(helpText());
    } else {
      const c = COMMANDS[cmd];
      if (!c) throw new UsageError(`unknown command ${cmd} (see drc --help)`);
      if (rest.includes('--help')) process.stdout.write(`drc ${c.help}\n  ${c.about}\n`);
      else code = await c.run(rest);
    }
  } catch (e) {
    code = e instanceof UsageError || e instanceof ConfigError || e instanceof ValueFormatError ? 2 : 1;
    const known = e instanceof UsageError || e instanceof ConfigError || e instanceof ValueFormatError || e instanceof HubError || e instanceof OperationError || e instanceof StoreError;
    const msg = (e as Error).message.split('\n')[0];
    process.stderr.write(`drc: ${msg}\n`);
    if (debug || !known) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  }
  process.exitCode = code;
  // commands that leave handles behind (sockets being closed) must not keep the CLI alive
  if (cmd !== 'serve' && cmd !== 'agent') setTimeout(() => process.exit(code), 50).unref();
}
