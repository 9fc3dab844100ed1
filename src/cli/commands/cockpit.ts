import { parseArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';

export async function cockpit(argv: string[]): Promise<number> {
  const a = parseArgs('cockpit', argv, FLAGS.cockpit);
  if (a.positionals.length) throw new UsageError(`cockpit: unexpected argument ${a.positionals[0]}`);
  if (!process.stdout.isTTY) throw new UsageError('cockpit: needs a terminal (use the drc commands with --json in scripts)');
  const ctx = resolveContext(a);
  const readonly = a.switches.has('readonly');
  // read-only is the hub's business: the cockpit connects as a viewer, whatever its token grants
  const client = await connect(ctx, readonly ? { role: 'viewer' } : {});
  // a viewer's token makes a read-only cockpit too: no keys offered that the hub would refuse
  const me = await client.call('whoami', {}).catch(() => null);
  const { runCockpit } = await import('../../tui/run.js');
  await runCockpit({ client, readonly: readonly || me?.role === 'viewer' });
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
