import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

export async function prune(argv: string[]): Promise<number> {
  const a = parseArgs('prune', argv, FLAGS.prune);
  const ctx = resolveContext(a);
  if (a.positionals.length) throw new UsageError(`prune: unexpected argument ${a.positionals[0]}`);
  const now = value(a, 'now');
  if (now !== undefined && Number.isNaN(Date.parse(now))) throw new UsageError(`prune: --now ${now}: expected an ISO 8601 time`);
  const dryRun = a.switches.has('dry-run');
  const client = await connect(ctx);
  try {
    const r = await client.call('retention.prune', { dryRun, now });
    if (ctx.json) {
      printJson(r);
      return 0;
    }
    const rows = r.decisions.map((d) => [String(d.pointId), d.host, d.volume, d.time, d.type, d.action, d.reasons.join('; ')]);
    if (rows.length) process.stdout.write(table(['POINT', 'HOST', 'VOLUME', 'TIME', 'TYPE', 'ACTION', 'WHY'], rows) + '\n');
    const verb = dryRun ? 'would delete' : 'deleted';
    process.stdout.write(`${verb} ${r.deleted.length} point(s), ${dryRun ? 'would consolidate' : 'consolidated'} ${r.consolidated.length} (retention as of ${r.now})\n`);
    if (r.unmanagedHosts.length) process.stdout.write(`no retention policy (everything kept): ${r.unmanagedHosts.join(', ')}\n`);
    if (!dryRun && r.deleted.length) process.stdout.write('run `drc gc` to free the space of chunks no point references any more\n');
    return 0;
  } finally {
    client.close();
  }
}
