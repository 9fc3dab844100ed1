import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes } from '../../format/human.js';
import { ladder } from '../../recovery/trust.js';
import { printJson, table } from '../output.js';


export async function points(argv: string[]): Promise<number> {
  const a = parseArgs('points', argv, FLAGS.points);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (!host) throw new UsageError('points: HOST is required');
  if (rest.length) throw new UsageError(`points: unexpected argument ${rest[0]}`);
  const clear = value(a, 'clear-suspect');
  const note = value(a, 'note');
  if (clear !== undefined && !/^\d+$/.test(clear)) throw new UsageError(`points: --clear-suspect ${clear}: expected a point id`);
  if (clear !== undefined && !note) throw new UsageError('points: --clear-suspect needs --note TEXT (why the change is benign; audited)');
  const client = await connect(ctx);
  try {
    if (clear !== undefined) {
      const p = await client.call('points.clearSuspect', { id: Number(clear), note: note! });
      if (ctx.json) printJson(p);
      else process.stdout.write(`recovery point ${p.id} of ${p.host}/${p.volume} is no longer suspect\n`);
      return 0;
    }
    const list = await client.call('points.list', { host, volume: value(a, 'volume') });
    if (ctx.json) printJson(list);
    else
      process.stdout.write(
        table(
          ['ID', 'TIME', 'VOLUME', 'SITE', 'TYPE', 'SIZE', 'CHANGED', 'NEW', 'VERIFIED', 'PROVEN'],
          list.map((p) => [String(p.id), p.time, p.volume, p.site, p.type, formatBytes(p.size), String(p.changedBlocks), formatBytes(p.bytesNew), p.verifiedAt ?? '-', ladder(p)]),
        ) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
