import { parseArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { overviewFigures } from '../../reports/overview-figures.js';
import { formatBytes, formatPercent } from '../../format/human.js';
import { printJson } from '../output.js';


export async function status(argv: string[]): Promise<number> {
  const a = parseArgs('status', argv, FLAGS.status);
  const ctx = resolveContext(a);
  if (a.positionals.length) throw new UsageError(`status: unexpected argument ${a.positionals[0]}`);
  const client = await connect(ctx);
  try {
    const [s, inspection] = await Promise.all([client.call('hub.status', {}), client.call('inspection.get', {})]);
    const f = overviewFigures(s, inspection);
    const connected = f.hosts.connected;
    const running = f.tasks.running;
    const queued = f.tasks.queued;
    const summary = {
      hub: s.hub,
      hosts: f.hosts,
      jobs: { running, queued },
      points: f.points,
      tasks: f.tasks,
      throughput: f.throughput,
      storage: f.storage,
      alarmsByLevel: f.alarmsByLevel,
      trend: f.trend,
      store: s.hub.backend ?? null,
      copies: s.hub.copies ?? [],
    };
    const b = s.hub.backend;
    if (ctx.json) printJson(summary);
    else
      process.stdout.write(
        [
          `hub ${s.hub.name} ${s.hub.version}, up since ${s.hub.startedAt}, agents at ${s.hub.agentsUrl}`,
          `hosts: ${connected}/${s.hosts.length} connected`,
          `jobs: ${running} running, ${queued} queued; last 24 h ${s.hub.stats.succeeded24h} ok / ${s.hub.stats.failed24h} failed`,
          `store: ${formatBytes(s.hub.store.bytesStored)} in ${s.hub.store.packs} packs, ${s.hub.store.chunks} chunks, dedup ${s.hub.store.dedupRatio.toFixed(2)}x; ${s.points.length} recovery points`,
          `success rate: ${formatPercent(f.tasks.successRate24h)} (24 h), ${formatPercent(f.tasks.successRate7d)} (7 d); throughput ${formatBytes(f.throughput.lastMinuteBytesPerSec)}/s (last minute)`,
          `open alarms: ${f.alarmsByLevel.urgent} urgent, ${f.alarmsByLevel.critical} critical, ${f.alarmsByLevel.warning} warning, ${f.alarmsByLevel.info} info`,
          ...(b ? [`backend: ${b.type} ${b.location}, ${b.encrypted ? 'encrypted' : 'not encrypted'}${b.cache ? `; cache ${formatBytes(b.cache.bytes)} of ${formatBytes(b.cache.maxBytes)} in ${b.cache.packs} packs (${b.cache.hits} hits, ${b.cache.misses} misses)` : ''}`] : []),
          ...(s.hub.copies ?? []).map((c) => `copy ${c.name}: ${c.pointsHeld}/${c.pointsTotal} points, lag ${c.lagSeconds} s, last run ${c.lastState ?? 'never'}`),
        ].join('\n') + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
