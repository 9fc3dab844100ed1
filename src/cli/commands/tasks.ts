// `drc tasks`: the hub's jobs (backups, restores, verifies) with state, progress and why
// a queued one waits; retry a failed or cancelled one, cancel a queued or running one.
import type { JobView } from '../../protocol/operator.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes } from '../../format/human.js';
import { printJson, table } from '../output.js';

function jobId(sub: string, raw: string | undefined): number {
  if (raw === undefined) throw new UsageError(`tasks ${sub}: ID is required`);
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new UsageError(`tasks ${sub}: ID must be a positive integer, got ${raw}`);
  return Number(raw);
}

function progress(j: JobView): string {
  if (j.state !== 'running') return j.state === 'succeeded' ? '100%' : '-';
  const p = j.progress;
  const pct = p.totalBytes > 0 ? `${Math.min(100, Math.floor((p.doneBytes * 100) / p.totalBytes))}%` : p.phase;
  return `${pct} ${formatBytes(p.rate)}/s${p.etaSeconds !== null ? ` eta ${Math.round(p.etaSeconds)}s` : ''}`;
}

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export async function tasks(argv: string[]): Promise<number> {
  const a = parseArgs('tasks', argv, FLAGS.tasks);
  const ctx = resolveContext(a);
  const [sub, id, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`tasks: unexpected argument ${rest[0]}`);
  if (sub !== undefined && sub !== 'retry' && sub !== 'cancel') throw new UsageError(`tasks: unknown subcommand ${sub} (expected retry or cancel)`);
  const state = value(a, 'state');
  if (state !== undefined && !STATES.includes(state)) throw new UsageError(`tasks: --state ${state}: expected one of ${STATES.join(', ')}`);
  const target = sub === undefined ? 0 : jobId(sub, id);
  const client = await connect(ctx);
  try {
    if (sub === 'retry' || sub === 'cancel') {
      const j = await client.call(sub === 'retry' ? 'job.retry' : 'job.cancel', { id: target });
      if (ctx.json) printJson(j);
      else process.stdout.write(sub === 'retry' ? `job ${target} retried as job ${j.id} (${j.state})\n` : `job ${j.id} ${j.state}\n`);
      return 0;
    }
    const host = value(a, 'host');
    const list = (await client.call('jobs.list', {})).filter((j) => (!state || j.state === state) && (!host || j.host === host));
    if (ctx.json) printJson(list);
    else
      process.stdout.write(
        table(
          ['ID', 'KIND', 'HOST', 'STATE', 'PROGRESS', 'CREATED', 'ORIGIN', 'WHY'],
          list.map((j) => [String(j.id), j.kind + (j.type ? `/${j.type}` : ''), j.host, j.state, progress(j), j.createdAt, j.origin, j.error ?? j.waitReason ?? '']),
        ) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
