// The `drc` command: dispatch to subcommands; one-line errors; exit 0 ok, 1 failed, 2 usage/config.
import { HubError } from '../client/api-client.js';
import { ConfigError, ValueFormatError } from '../config/errors.js';
import { StoreError } from '../store/errors.js';
import { prepareConfig } from './context.js';
import { OperationError, UsageError } from './errors.js';

type Command = { load: () => Promise<(argv: string[]) => Promise<number>>; help: string; about: string };

// commands load lazily so that `drc backup` does not pay for the cockpit's imports
export const COMMANDS: Record<string, Command> = {
  serve: {
    load: async () => (await import('./commands/serve.js')).serve,
    help: 'serve [--config FILE] [--data DIR] [--listen-agents HOST:PORT] [--listen-http HOST:PORT|off] [--concurrency N]',
    about: 'run the hub in the foreground (SIGTERM stops it cleanly)',
  },
  agent: {
    load: async () => (await import('./commands/agent.js')).agent,
    help: 'agent [--config FILE] [--hub URL] [--host NAME] [--token-file FILE | --token TOKEN] [--volume NAME=PATH ...] [--data DIR] [--ca FILE] [--block-size SIZE] [--watch SECONDS] [--metrics SECONDS] [--tracker scan|qemu-dirty-bitmap] [--qmp SOCKET --nbd URL] [--pre-freeze CMD --post-thaw CMD] [--site primary|dr]   (token also from DRC_TOKEN)',
    about: "run an agent that protects this host's volumes",
  },
  hosts: {
    load: async () => (await import('./commands/hosts.js')).hosts,
    help: 'hosts [--json] | hosts add NAME [--tags a,b] [--tier NAME] [--expires DURATION] [--json] | hosts revoke NAME',
    about: 'list hosts, add one (prints its token once), revoke a token',
  },
  backup: {
    load: async () => (await import('./commands/backup.js')).backup,
    help: 'backup HOST [--volume NAME] [--full] [--priority 0-100] [--wait [--timeout DURATION]] [--json]',
    about: 'back a host up now',
  },
  points: {
    load: async () => (await import('./commands/points.js')).points,
    help: 'points HOST [--volume NAME] [--json] | points HOST --clear-suspect ID --note TEXT',
    about: "list a host's recovery points (ladder: S suspect, V/v verified full/sample, R restored, B booted, A app-checked, X drilled, C copied); clear a suspect mark judged benign",
  },
  restore: {
    load: async () => (await import('./commands/restore.js')).restore,
    help: 'restore HOST --volume NAME --point ID|latest|ISO-TIME --to PATH [--force] [--allow-damaged] [--format raw|qcow2|vmdk|vhdx] [--no-fsync] [--json]',
    about: 'rebuild a volume at a recovery point into a file (Merkle root verified)',
  },
  verify: {
    load: async () => (await import('./commands/verify.js')).verify,
    help: 'verify [HOST] [--sample PERCENT] [--json]',
    about: 're-read and re-hash the chunks of recovery points; records "verified at" per point',
  },
  repair: {
    load: async () => (await import('./commands/repair.js')).repair,
    help: 'repair [HOST] [--json]',
    about: 'heal damaged chunks from agents that still hold their blocks, and from copies',
  },
  schedules: {
    load: async () => (await import('./commands/schedules.js')).schedules,
    help: 'schedules [--json] | schedules run NAME [--json]',
    about: 'schedules with next runs (zone and UTC), windows and last results; run one now',
  },
  prune: {
    load: async () => (await import('./commands/prune.js')).prune,
    help: 'prune [--dry-run] [--now ISO-TIME] [--json]',
    about: 'apply GFS retention: delete points no rule keeps (children keep their images)',
  },
  gc: {
    load: async () => (await import('./commands/gc.js')).gc,
    help: 'gc [--limit MIB-PER-S] [--json]',
    about: 'remove unreferenced chunks and repack mostly-dead packs (online, resumable)',
  },
  maintenance: {
    load: async () => (await import('./commands/maintenance.js')).maintenance,
    help: 'maintenance [--json] | maintenance preview [--json] | maintenance run [--json]',
    about: 'automatic retention, gc, journal retention and verify: next and last runs; what the next would delete; run now',
  },
  copies: {
    load: async () => (await import('./commands/copies.js')).copies,
    help: 'copies [--json] | copies run NAME [--wait] [--limit MIB-PER-S] [--json]',
    about: 'second targets of recovery points: points held, lag, last run; run one now',
  },
  store: {
    load: async () => (await import('./commands/store.js')).store,
    help: 'store recover --from DIR|s3://BUCKET/PREFIX --data NEWDIR [--endpoint URL] [--region NAME] [--credentials-file FILE] [--no-path-style] [--json]',
    about: "rebuild a hub's catalog from a copy or an S3 store alone (the hub is lost)",
  },
  key: {
    load: async () => (await import('./commands/key.js')).key,
    help: 'key list [--json] | key add --new-passphrase-file FILE [--json] | key remove ID [--yes] [--json]',
    about: "the key files that open an encrypted store (the config's passphrase opens it)",
  },
  status: {
    load: async () => (await import('./commands/status.js')).status,
    help: 'status [--json]',
    about: 'hub, hosts, jobs and store at a glance',
  },
  alarms: {
    load: async () => (await import('./commands/alarms.js')).alarms,
    help: 'alarms [--open] [--limit N] [--json] | alarms ack ID [--note TEXT] | alarms resolve ID --note TEXT | alarms test-channel NAME',
    about: 'list alarms, acknowledge or resolve one, send a test notification',
  },
  logs: {
    load: async () => (await import('./commands/logs.js')).logs,
    help: 'logs export --out FILE.tar.gz [--json]',
    about: "bundle the hub's log, every connected agent's log and a catalog summary",
  },
  drill: {
    load: async () => (await import('./commands/drill.js')).drill,
    help: 'drill HOST... [--plan NAME] [--point latest|ID|ISO-TIME] [--target NAME] [--ttl DURATION] [--verdict pass|fail] [--notes TEXT] [--instant] [--yes] [--json] | drill list [--all] | drill cleanup ID|--expired|--all | drill verdict ID pass|fail [--notes TEXT]',
    about: 'restore hosts into an isolated target, run checks, measure RTO/RPO (production untouched)',
  },
  failover: {
    load: async () => (await import('./commands/failover.js')).failover,
    help: 'failover HOST [--point latest|ID|ISO-TIME] [--target NAME] [--no-final-sync] --confirm HOST [--instant] [--json] | cancel HOST --confirm HOST',
    about: 'pre-check, final sync, fence the source, restore to the production target, post-check, switch',
  },
  failback: {
    load: async () => (await import('./commands/failback.js')).failback,
    help: 'failback HOST --confirm HOST [--json]',
    about: 'bring a failed-over host home: send back only the blocks that differ, verify, switch back, un-fence',
  },
  instances: {
    load: async () => (await import('./commands/instances.js')).instances,
    help: 'instances [--all] [--json] | instances stop ID [--confirm HOST] | instances console ID [--follow]',
    about: 'recovered hosts running as VMs and NBD mounts: list, stop, console',
  },
  mount: {
    load: async () => (await import('./commands/mount.js')).mount,
    help: 'mount HOST [--volume NAME] [--point latest|ID|ISO-TIME] [--json]',
    about: 'export a recovery point read-only over NBD on a local socket (file-level recovery)',
  },
  unmount: {
    load: async () => (await import('./commands/mount.js')).unmount,
    help: 'unmount ID|HOST',
    about: 'end a mount',
  },
  report: {
    load: async () => (await import('./commands/report.js')).report,
    help: 'report list [--json] | report export ID --format md|html|json --out FILE',
    about: 'drill and takeover reports',
  },
  inspect: {
    load: async () => (await import('./commands/inspect.js')).inspect,
    help: 'inspect [--format md|html|json] [--out FILE] | inspect --send [--channel NAME]... [--json]',
    about: 'the daily inspection as one report: agents, failed and waiting tasks, alarms, links, credentials, storage, verify, RPO; --send mails it through channels',
  },
  config: {
    load: async () => (await import('./commands/config.js')).config,
    help: 'config reload [--json]',
    about: 'make the hub read its config file again (admin): schedules, alarms, channels, retention, copies, checks … apply at once',
  },
  tasks: {
    load: async () => (await import('./commands/tasks.js')).tasks,
    help: 'tasks [--state STATE] [--host NAME] [--json] | tasks retry ID [--json] | tasks cancel ID [--json]',
    about: 'jobs with state, progress and why they wait; retry a failed one, cancel a queued or running one',
  },
  operators: {
    load: async () => (await import('./commands/operators.js')).operators,
    help: 'operators [--json] | operators add NAME --role viewer|operator|admin [--expires DURATION] [--json] | operators revoke NAME',
    about: 'operator tokens with a role: list, add one (prints its token once), revoke one',
  },
  audit: {
    load: async () => (await import('./commands/audit.js')).audit,
    help: 'audit [--since ISO-TIME|DURATION] [--host NAME] [--limit N] [--json]',
    about: 'the audit log: who (token name or socket user), from where, did what',
  },
  cockpit: {
    load: async () => (await import('./commands/cockpit.js')).cockpit,
    help: 'cockpit [--readonly]   (bare `drc` does the same)',
    about: 'the full-screen cockpit (Ink TUI) on the running hub',
  },
  demo: {
    load: async () => (await import('./commands/demo.js')).demo,
    help: 'demo [--readonly] [--keep] [--dir DIR]',
    about: 'embedded hub + three local agents + a workload, then the cockpit (npm start)',
  },
  completion: {
    load: async () => (await import('./commands/completion.js')).completion,
    help: 'completion bash|zsh|fish   (e.g. source <(drc completion bash))',
    about: 'print a shell completion script for drc',
  },
};

/** What every command also accepts (args.ts COMMON_VALUES and COMMON_SWITCHES). */
export const COMMON_HELP = 'Common options: --config FILE, --data DIR, --hub URL|SOCKET, --token-file FILE, --ca FILE, --json, --debug, --help';

/** `drc CMD --help`: the usage line, what it does, and the options every command takes. */
export function commandHelp(name: string): string {
  const c = COMMANDS[name];
  return c ? `drc ${c.help}\n  ${c.about}\n${COMMON_HELP}\n` : '';
}

export function helpText(): string {
  const lines = ['drc — DR Cockpit: backup and disaster recovery from the terminal', '', 'Usage: drc COMMAND [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.about}`, `             drc ${c.help}`);
  lines.push('', COMMON_HELP, 'Operators authenticate with DRC_TOKEN or --token-file over TCP; the unix socket admits the hub\'s own user.', 'See README.md and docs/ for details.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  const [cmd, ...rest] = argv;
  let code = 0;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      if (cmd === undefined && COMMANDS.cockpit) {
        await prepareConfig([]);
        code = await (await COMMANDS.cockpit.load())([]);
      } else process.stdout.write(helpText());
    } else {
      const c = COMMANDS[cmd];
      if (!c) throw new UsageError(`unknown command ${cmd} (see drc --help)`);
      if (rest.includes('--help')) process.stdout.write(commandHelp(cmd));
      else {
        await prepareConfig(rest);
        code = await (await c.load())(rest);
      }
    }
  } catch (e) {
    code = e instanceof UsageError || e instanceof ConfigError || e instanceof ValueFormatError ? 2 : 1;
    const known = e instanceof UsageError || e instanceof ConfigError || e instanceof ValueFormatError || e instanceof HubError || e instanceof OperationError || e instanceof StoreError;
    const msg = (e as Error).message.split('\n')[0];
    // one line, always; the stack only with --debug
    process.stderr.write(`drc: ${msg}${known || debug ? '' : ' (unexpected; run with --debug for details)'}\n`);
    if (debug) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  }
  process.exitCode = code;
  // commands that leave handles behind (sockets being closed) must not keep the CLI alive
  // a command that has finished must not be kept alive by sockets still closing (a dead
  // peer's close handshake waits 30 s); the long-running ones get a moment to flush
  const grace = cmd === 'serve' || cmd === 'agent' ? 2000 : 50;
  setTimeout(() => process.exit(code), grace).unref();
}
