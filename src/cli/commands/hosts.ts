import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';
import { expiresInSeconds } from './expires.js';


export async function hosts(argv: string[]): Promise<number> {
  const a = parseArgs('hosts', argv, FLAGS.hosts);
  const ctx = resolveContext(a);
  const [sub, name, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`hosts: unexpected argument ${rest[0]}`);
  const expires = sub === 'add' ? expiresInSeconds('hosts add', value(a, 'expires')) : undefined;
  const client = await connect(ctx);
  try {
    if (sub === 'add') {
      if (!name) throw new UsageError('hosts add: NAME is required');
      const tags = value(a, 'tags')?.split(',').map((t) => t.trim()).filter(Boolean) ?? [];
      const r = await client.call('hosts.add', { name, tags, tier: value(a, 'tier') ?? null, expiresInSeconds: expires });
      if (ctx.json) printJson(r);
      else {
        process.stdout.write(`host ${r.host.name} added. Its agent token (shown once, keep it secret):\n${r.token}\n`);
        process.stdout.write(`start its agent with: drc agent --hub ${'<hub-url>'} --host ${r.host.name} --token <token> --volume NAME=PATH\n`);
      }
      return 0;
    }
    if (sub === 'revoke') {
      if (!name) throw new UsageError('hosts revoke: NAME is required');
      await client.call('hosts.revoke', { name });
      if (ctx.json) printJson({ ok: true });
      else process.stdout.write(`token of ${name} revoked; its agent is disconnected\n`);
      return 0;
    }
    if (sub !== undefined) throw new UsageError(`hosts: unknown subcommand ${sub} (expected add or revoke)`);
    const list = await client.call('hosts.list', {});
    if (ctx.json) printJson(list);
    else
      process.stdout.write(
        table(
          ['NAME', 'TAGS', 'TIER', 'LINK', 'VOLUMES', 'LAST POINT'],
          list.map((h) => [h.name, h.tags.join(','), h.tier ?? '-', h.link + (h.agents?.some((x) => x.site === 'dr') ? ' +DR agent' : ''), String(h.volumes.length), h.lastPointTime ?? '-']),
        ) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
