import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes as bytes } from '../../format/human.js';
import { printJson, table } from '../output.js';

function lag(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}

export async function copies(argv: string[]): Promise<number> {
  const a = parseArgs('copies', argv, FLAGS.copies);
  const ctx = resolveContext(a);
  const [sub, name, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`copies: unexpected argument ${rest[0]}`);
  if (sub !== undefined && sub !== 'run') throw new UsageError(`copies: unknown subcommand ${sub} (expected run)`);
  if (sub === 'run' && !name) throw new UsageError('copies run: NAME is required');
  const limit = value(a, 'limit');
  const mbps = limit === undefined ? undefined : Number(limit);
  if (mbps !== undefined && !(mbps > 0)) throw new UsageError(`copies: --limit ${limit}: expected MiB per second above 0`);
  const client = await connect(ctx);
  try {
    if (sub === 'run') {
      const r = await client.call('copies.run', { name: name!, wait: a.switches.has('wait'), bytesPerSecond: mbps === undefined ? undefined : Math.round(mbps * 1024 * 1024) });
      if (ctx.json) printJson(r);
      else if (r.state === 'running') process.stdout.write(`copy ${name}: run ${r.id} started\n`);
      else {
        const pruned = r.pruned ? `; pruned ${r.pruned} point(s) its keep rules let go` : '';
        process.stdout.write(`copy ${name}: ${r.points} point(s), ${r.packs} pack(s), ${bytes(r.bytes)} copied and read back${pruned}\n`);
        if (r.note) process.stdout.write(`note: ${r.note}\n`);
      }
      return 0;
    }
    const list = await client.call('copies.list', {});
    if (ctx.json) printJson(list);
    else if (list.length === 0) process.stdout.write('no copies configured (copies: in the config)\n');
    else
      process.stdout.write(
        table(
          ['NAME', 'TYPE', 'TARGET', 'POINTS', 'LAG', 'IMMUTABLE', 'NEXT (UTC)', 'LAST RUN'],
          list.map((c) => [
            c.name,
            c.type,
            c.target,
            `${c.pointsHeld}/${c.pointsTotal}`,
            lag(c.lagSeconds),
            c.immutable ? 'yes' : 'no',
            c.next ?? '-',
            c.lastRun ? `${c.lastRun.state} ${c.lastRun.finishedAt ?? c.lastRun.startedAt}${c.lastRun.error ? `: ${c.lastRun.error}` : ''}` : '-',
          ]),
        ) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
