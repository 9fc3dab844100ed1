import { parseDuration } from '../../config/units.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { formatBytes } from '../../format/human.js';
import { printJson } from '../output.js';
import { waitForJob } from './wait.js';


export async function backup(argv: string[]): Promise<number> {
  const a = parseArgs('backup', argv, FLAGS.backup);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (!host) throw new UsageError('backup: HOST is required');
  if (rest.length) throw new UsageError(`backup: unexpected argument ${rest[0]}`);
  const priorityText = value(a, 'priority');
  if (priorityText !== undefined && !/^(100|[1-9]?\d)$/.test(priorityText)) throw new UsageError(`backup: --priority ${priorityText}: expected an integer from 0 to 100`);
  const priority = priorityText === undefined ? undefined : Number(priorityText);
  const rawTimeout = value(a, 'timeout');
  if (rawTimeout !== undefined && !a.switches.has('wait')) throw new UsageError('backup: --timeout goes with --wait');
  let timeout: number | undefined;
  try {
    timeout = rawTimeout === undefined ? undefined : parseDuration(rawTimeout);
  } catch (e) {
    throw new UsageError(`backup: --timeout ${rawTimeout}: ${(e as Error).message}`);
  }
  const client = await connect(ctx);
  try {
    let job = await client.call('backup.start', { host, volume: value(a, 'volume'), full: a.switches.has('full'), priority });
    if (!a.switches.has('wait')) {
      if (ctx.json) printJson(job);
      else process.stdout.write(`backup job ${job.id} of ${host} queued\n`);
      return 0;
    }
    job = await waitForJob(client, job, `backup ${host}`, ctx.json, timeout);
    if (ctx.json) printJson(job);
    else if (job.state === 'succeeded')
      process.stdout.write(`backup job ${job.id} of ${host} succeeded: point(s) ${job.pointIds.join(', ')}, ${formatBytes(job.bytesWire)} sent, ${formatBytes(job.bytesNew)} stored\n`);
    if (job.state !== 'succeeded') throw new OperationError(`backup job ${job.id} of ${host} ${job.state}: ${job.error ?? ''}`);
    return 0;
  } finally {
    client.close();
  }
}
