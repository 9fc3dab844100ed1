import { parseArgs } from '../args.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes } from '../../format/human.js';
import { printJson } from '../output.js';


export async function status(argv: string[]): Promise<number> {
  const a = parseArgs('status', argv, {});
  const ctx = resolveContext(a);
  if (a.positionals.length) throw new UsageError(`status: unexpected argument ${a.positionals[0]}`);
  const client = await connect(ctx);
  try {
    const s = await client.call('hub.status', {});
    const connected = s.hosts.filter((h) => h.link === 'connected').length;
    const running = s.jobs.filter((j) => j.state === 'running').length;
    const queued = s.jobs.filter((j) => j.state === 'queued').length;
    const summary = {
      hub: s.hub,
      hosts: { total: s.hosts.length, connected },
      jobs: { running, queued },
      points: s.points.length,
    };
    if (ctx.json) printJson(summary);
    else
      process.stdout.write(
        [
          `hub ${s.hub.name} ${s.hub.version}, up since ${s.hub.startedAt}, agents at ${s.hub.agentsUrl}`,
          `hosts: ${connected}/${s.hosts.length} connected`,
          `jobs: ${running} running, ${queued} queued; last 24 h ${s.hub.stats.succeeded24h} ok / ${s.hub.stats.failed24h} failed`,
          `store: ${formatBytes(s.hub.store.bytesStored)} in ${s.hub.store.packs} packs, ${s.hub.store.chunks} chunks, dedup ${s.hub.store.dedupRatio.toFixed(2)}x; ${s.points.length} recovery points`,
        ].join('\n') + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
