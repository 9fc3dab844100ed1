// `drc instances`: the recovered hosts running as VMs (and NBD mounts) — list them, stop one
// (a failover's needs its host name typed), print or follow its serial console.
import type { ApiClient } from '../../client/api-client.js';
import type { InstanceView } from '../../protocol/recovery.js';
import { longDuration as duration } from '../../format/human.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

function idOf(s: string | undefined, cmd: string): number {
  if (!s || !/^\d+$/.test(s)) throw new UsageError(`instances ${cmd}: expected an instance id`);
  return Number(s);
}

function ports(i: InstanceView): string {
  if (i.nbd) return i.nbd;
  const at = i.bindAddress === '0.0.0.0' ? '*:' : i.bindAddress ? `${i.bindAddress}:` : '';
  return i.ports.map((p) => `${at}${p.host}→${p.guest}`).join(' ') || '-';
}

function rows(list: InstanceView[]): string {
  return table(
    ['ID', 'KIND', 'HOST', 'RUN', 'STATE', 'ACCEL', 'UPTIME', 'BOOT', 'NETWORK', 'PORTS / SOCKET', 'EXPIRES'],
    list.map((i) => [
      String(i.id), i.kind, i.host, i.runId === null ? '-' : String(i.runId), i.state + (i.disk !== 'local' && i.kind !== 'mount' ? ` (${i.disk})` : ''), i.accel ?? '-',
      i.uptimeSeconds === null ? '-' : duration(i.uptimeSeconds), i.bootMs === null ? '-' : `${(i.bootMs / 1000).toFixed(1)} s`,
      i.network, ports(i), i.expiresAt ?? '-',
    ]),
  );
}

async function follow(client: ApiClient, id: number): Promise<number> {
  let offset: number | undefined;
  for (;;) {
    const c = await client.call('instances.console', { id, offset });
    if (c.text) process.stdout.write(c.text);
    offset = c.offset;
    if (c.state !== 'running') return 0;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function instances(argv: string[]): Promise<number> {
  const a = parseArgs('instances', argv, FLAGS.instances);
  const ctx = resolveContext(a);
  const [sub, id, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`instances: unexpected argument ${rest[0]}`);
  const client = await connect(ctx);
  try {
    if (sub === undefined) {
      const list = await client.call('instances.list', { all: a.switches.has('all') });
      if (ctx.json) printJson(list);
      else process.stdout.write(list.length ? rows(list) + '\n' : 'no recovered instances running\n');
      return 0;
    }
    if (sub === 'stop') {
      const v = await client.call('instances.stop', { id: idOf(id, 'stop'), confirm: value(a, 'confirm') });
      if (ctx.json) printJson(v);
      else process.stdout.write(`instance ${v.id} of ${v.host} ${v.state}\n`);
      return 0;
    }
    if (sub === 'console') {
      const n = idOf(id, 'console');
      if (a.switches.has('follow')) return await follow(client, n);
      const c = await client.call('instances.console', { id: n });
      if (ctx.json) printJson(c);
      else process.stdout.write(c.text.endsWith('\n') || c.text === '' ? c.text : c.text + '\n');
      return 0;
    }
    throw new UsageError(`instances: unknown subcommand ${sub} (expected stop or console)`);
  } finally {
    client.close();
  }
}
