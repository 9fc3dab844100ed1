// `drc repair [HOST]`: heal damaged chunks from connected agents that still hold their blocks
// and from copies; one line per chunk: healed from where, or still damaged and why.
import { parseArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

export async function repair(argv: string[]): Promise<number> {
  const a = parseArgs('repair', argv, FLAGS.repair);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`repair: unexpected argument ${rest[0]}`);
  const client = await connect(ctx);
  try {
    const r = await client.call('store.repair', { host });
    if (ctx.json) printJson(r);
    else if (r.chunks.length === 0) process.stdout.write(`nothing to repair: no damaged chunks${host ? ` in the points of ${host}` : ''}\n`);
    else {
      process.stdout.write(
        table(
          ['CHUNK', 'HOST', 'VOLUME', 'BLOCK', 'RESULT'],
          r.chunks.map((c) => [c.chunk, c.host ?? '-', c.volume ?? '-', c.block === null ? '-' : String(c.block), c.detail]),
        ) + '\n',
      );
      process.stdout.write(`${r.healed} healed, ${r.stillDamaged} still damaged\n`);
    }
    if (r.stillDamaged) throw new OperationError(`repair: ${r.stillDamaged} chunk(s) still damaged; the next backup that holds their blocks heals them`);
    return 0;
  } finally {
    client.close();
  }
}
