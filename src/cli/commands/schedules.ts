import { parseArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

export async function schedules(argv: string[]): Promise<number> {
  const a = parseArgs('schedules', argv, FLAGS.schedules);
  const ctx = resolveContext(a);
  const [sub, name, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`schedules: unexpected argument ${rest[0]}`);
  if (sub !== undefined && sub !== 'run') throw new UsageError(`schedules: unknown subcommand ${sub} (expected run)`);
  if (sub === 'run' && !name) throw new UsageError('schedules run: NAME is required');
  const client = await connect(ctx);
  try {
    if (sub === 'run') {
      const jobs = await client.call('schedules.run', { name: name! });
      if (ctx.json) printJson(jobs);
      else process.stdout.write(`schedule ${name}: ${jobs.length} job(s) queued${jobs.length ? ` (${jobs.map((j) => `${j.id} on ${j.host}`).join(', ')})` : ''}\n`);
      return 0;
    }
    const list = await client.call('schedules.list', {});
    if (ctx.json) printJson(list);
    else
      process.stdout.write(
        table(
          ['NAME', 'CRON', 'ZONE', 'PRIO', 'TYPE', 'TARGETS', 'WINDOW', 'NEXT (ZONE)', 'NEXT (UTC)', 'LAST'],
          list.map((s) => [
            s.name,
            s.cron,
            s.timezone,
            String(s.priority),
            s.type,
            s.targets.join(','),
            s.window ? `${s.window.text} ${s.window.open ? 'open' : 'closed'}` : '-',
            s.nextRuns[0]?.local ?? '-',
            s.next ?? '-',
            s.lastResult ? `${s.lastResult.state} ${s.lastResult.firedAt}` : '-',
          ]),
        ) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
