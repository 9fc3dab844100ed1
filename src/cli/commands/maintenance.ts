// `drc maintenance`: the automatic runs (next, window, last runs); `preview`: what the next
// run's retention would delete; `run`: one run now (retention, gc, journal, verify queueing).
import type { MaintenanceRunView } from '../../protocol/maintenance.js';
import { formatBytes } from '../../format/human.js';
import { parseArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

function runLine(r: MaintenanceRunView): string {
  const s = r.summary;
  const what = s
    ? `deleted ${s.deleted.length} point(s), consolidated ${s.consolidated.length}, freed ${formatBytes(s.bytesFreed)}, removed ${s.eventsRemoved} event(s) and ${s.auditRemoved} audit entries, queued a full verify of ${s.verifyPoints.length} point(s)`
    : '';
  return `run ${r.id} (${r.origin}) ${r.state} ${r.startedAt}${r.error ? `: ${r.error}` : ''}${what ? ` — ${what}` : ''}`;
}

export async function maintenance(argv: string[]): Promise<number> {
  const a = parseArgs('maintenance', argv, FLAGS.maintenance);
  const ctx = resolveContext(a);
  const [sub, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`maintenance: unexpected argument ${rest[0]}`);
  if (sub !== undefined && sub !== 'preview' && sub !== 'run') throw new UsageError(`maintenance: unknown subcommand ${sub} (expected preview or run)`);
  const client = await connect(ctx);
  try {
    if (sub === 'preview') {
      const r = await client.call('maintenance.preview', {});
      if (ctx.json) return (printJson(r), 0);
      const gone = r.decisions.filter((d) => d.action !== 'keep');
      if (gone.length) process.stdout.write(table(['POINT', 'HOST', 'VOLUME', 'TIME', 'TYPE', 'ACTION', 'WHY'], gone.map((d) => [String(d.pointId), d.host, d.volume, d.time, d.type, d.action, d.reasons.join('; ')])) + '\n');
      process.stdout.write(`the maintenance run at ${r.now} would delete ${r.deleted.length} point(s) and consolidate ${r.consolidated.length}\n`);
      if (r.unmanagedHosts.length) process.stdout.write(`no retention policy (everything kept): ${r.unmanagedHosts.join(', ')}\n`);
      return 0;
    }
    if (sub === 'run') {
      const r = await client.call('maintenance.run', {});
      if (ctx.json) printJson(r);
      else process.stdout.write(runLine(r) + '\n');
      return r.state === 'succeeded' ? 0 : 1;
    }
    const s = await client.call('maintenance.status', {});
    if (ctx.json) return (printJson(s), 0);
    const auto = s.auto;
    if (!auto || auto.cron === null) process.stdout.write('automatic maintenance is off (maintenance.cron: off); run `drc prune` and `drc gc` by hand\n');
    else {
      process.stdout.write(`automatic maintenance: cron "${auto.cron}" (${auto.timezone}), window ${auto.window ?? 'any time'}, next ${auto.next ?? '-'}${auto.waiting ? ' (due, waiting for the window)' : ''}${auto.phase ? `, running: ${auto.phase}` : ''}\n`);
      if (auto.firstDeletionPending) process.stdout.write('no run has deleted a point yet: `drc maintenance preview` shows what the next would delete\n');
    }
    if (s.task) process.stdout.write(`${s.task}: ${s.phase} ${s.done}/${s.total}\n`);
    for (const r of auto?.lastRuns ?? []) process.stdout.write(runLine(r) + '\n');
    return 0;
  } finally {
    client.close();
  }
}
