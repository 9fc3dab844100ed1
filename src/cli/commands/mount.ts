// `drc mount HOST --point ID`: export a volume at a point read-only over NBD on a local unix
// socket for file-level recovery (nbdfuse, qemu-nbd, guestmount); `drc unmount` ends it.
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';

export async function mount(argv: string[]): Promise<number> {
  const a = parseArgs('mount', argv, FLAGS.mount);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (!host || rest.length) throw new UsageError('mount: expected HOST [--volume NAME] [--point latest|ID|ISO-TIME]');
  const client = await connect(ctx);
  try {
    const v = await client.call('mount.start', { host, volume: value(a, 'volume'), point: value(a, 'point') });
    if (ctx.json) printJson(v);
    else
      process.stdout.write(
        `mount ${v.id}: ${host} ${v.target ?? ''} exported read-only at nbd+unix:///${(v.target ?? '').split('@')[0]}?socket=${v.nbd}\n` +
          `  e.g. nbdinfo 'nbd+unix:///${(v.target ?? '').split('@')[0]}?socket=${v.nbd}'; drc unmount ${v.id} ends it\n`,
      );
    return 0;
  } finally {
    client.close();
  }
}

export async function unmount(argv: string[]): Promise<number> {
  const a = parseArgs('unmount', argv, FLAGS.unmount);
  const ctx = resolveContext(a);
  const [what, ...rest] = a.positionals;
  if (!what || rest.length) throw new UsageError('unmount: expected a mount id or a host name');
  const client = await connect(ctx);
  try {
    const v = await client.call('mount.stop', /^\d+$/.test(what) ? { id: Number(what) } : { host: what });
    if (ctx.json) printJson(v);
    else process.stdout.write(v.map((x) => `mount ${x.id} of ${x.host} ${x.state}`).join('\n') + '\n');
    return 0;
  } finally {
    client.close();
  }
}
