import path from 'node:path';
import { exportLogs } from '../../client/log-export.js';
import { parseArgs, required } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';

export async function logs(argv: string[]): Promise<number> {
  const a = parseArgs('logs', argv, FLAGS.logs);
  const ctx = resolveContext(a);
  const [sub, ...rest] = a.positionals;
  if (sub !== 'export') throw new UsageError('logs: expected the subcommand export (drc logs export --out FILE.tar.gz)');
  if (rest.length) throw new UsageError(`logs export: unexpected argument ${rest[0]}`);
  const out = path.resolve(required(a, 'logs export', 'out'));
  const client = await connect(ctx);
  try {
    const r = await exportLogs(client, out);
    if (ctx.json) printJson(r);
    else {
      process.stdout.write(`wrote ${out}: ${r.files.join(', ')}\n`);
      for (const e of r.errors) process.stderr.write(`drc logs export: ${e}\n`);
    }
    return 0;
  } finally {
    client.close();
  }
}
