// `drc config reload`: the hub reads and validates its config file again and applies what
// can change live; a broken file is refused with its file:line:col and the hub keeps its
// running config (exit 2). The same as `systemctl reload drc-hub` (SIGHUP).
import { HubError } from '../../client/api-client.js';
import { parseArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';

export async function config(argv: string[]): Promise<number> {
  const a = parseArgs('config', argv, FLAGS.config);
  const ctx = resolveContext(a);
  const [sub, ...rest] = a.positionals;
  if (sub !== 'reload' || rest.length) throw new UsageError('config: expected `drc config reload`');
  const client = await connect(ctx);
  try {
    const r = await client.call('config.reload', {});
    if (ctx.json) printJson(r);
    else {
      process.stdout.write(`config ${r.file} reloaded: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'nothing changed that applies live'}\n`);
      if (r.restartNeeded.length) process.stdout.write(`restart the hub for: ${r.restartNeeded.join(', ')}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof HubError && e.code === 'bad-config') throw new UsageError(`config reload: ${e.message}`);
    throw e;
  } finally {
    client.close();
  }
}
