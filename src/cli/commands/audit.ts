// `drc audit`: the hub's audit log — who (an authenticated identity), from where, did
// what, with what outcome. Read only: nothing in drc deletes or changes it.
import { parseDuration } from '../../config/index.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

/** --since: an ISO time, or a duration back from now (`24h`, `7d`) */
function sinceOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (/^\d+(\.\d+)?\s*[a-z]*$/i.test(raw)) {
    try {
      return new Date(Date.now() - parseDuration(raw) * 1000).toISOString();
    } catch (e) {
      throw new UsageError(`audit: --since ${raw}: ${(e as Error).message}`);
    }
  }
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new UsageError(`audit: --since ${raw}: expected an ISO 8601 time or a duration (24h, 7d)`);
  return new Date(t).toISOString();
}

export async function audit(argv: string[]): Promise<number> {
  const a = parseArgs('audit', argv, FLAGS.audit);
  const ctx = resolveContext(a);
  if (a.positionals.length) throw new UsageError(`audit: unexpected argument ${a.positionals[0]}`);
  const since = sinceOf(value(a, 'since'));
  const rawLimit = value(a, 'limit');
  if (rawLimit !== undefined && !/^[1-9]\d{0,5}$/.test(rawLimit)) throw new UsageError(`audit: --limit ${rawLimit}: expected a number of rows (1..100000)`);
  const client = await connect(ctx);
  try {
    const rows = await client.call('audit.list', { since, host: value(a, 'host'), limit: rawLimit === undefined ? undefined : Number(rawLimit) });
    if (ctx.json) printJson(rows);
    else
      process.stdout.write(
        table(
          ['TIME', 'WHO', 'FROM', 'ACTION', 'TARGET', 'OUTCOME'],
          rows.map((r) => [r.time, r.actor, [r.address, r.ssh && `ssh ${r.ssh.split(' ')[0]}`].filter(Boolean).join(' ') || '-', r.action, r.target ?? '-', r.outcome]),
        ) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
