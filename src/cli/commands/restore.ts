import path from 'node:path';
import { parseArgs, required, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { waitForJob } from './wait.js';


const FORMATS = ['raw', 'qcow2', 'vmdk', 'vhdx'] as const;
type Format = (typeof FORMATS)[number];

export async function restore(argv: string[]): Promise<number> {
  const a = parseArgs('restore', argv, FLAGS.restore);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (!host) throw new UsageError('restore: HOST is required');
  if (rest.length) throw new UsageError(`restore: unexpected argument ${rest[0]}`);
  const volume = required(a, 'restore', 'volume');
  const point = required(a, 'restore', 'point');
  const to = path.resolve(required(a, 'restore', 'to'));
  const format = value(a, 'format') ?? 'raw';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`restore: --format ${format}: expected one of ${FORMATS.join(', ')}`);
  const client = await connect(ctx);
  try {
    let job = await client.call('restore.start', { host, volume, point, to, format: format as Format, sync: !a.switches.has('no-fsync'), force: a.switches.has('force'), allowDamaged: a.switches.has('allow-damaged') });
    job = await waitForJob(client, job, `restore ${host}/${volume}`, ctx.json);
    if (ctx.json) printJson({ ...job, path: to });
    else if (job.state === 'succeeded')
      process.stdout.write(
        a.switches.has('allow-damaged')
          ? `restored ${host}/${volume} to ${to} (${format}); damaged blocks, if any, were written as zeros (see drc events)\n`
          : `restored ${host}/${volume} to ${to} (${format}); Merkle root verified\n`,
      );
    if (job.state !== 'succeeded') throw new OperationError(`restore of ${host}/${volume} ${job.state}: ${job.error ?? ''}`);
    return 0;
  } finally {
    client.close();
  }
}
