import type { ApiClient } from '../../client/api-client.js';
import type { AlarmView } from '../../protocol/operator.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { ageSeconds, formatAge } from '../../format/human.js';
import { printJson, table } from '../output.js';

function alarmId(sub: string, raw: string | undefined): number {
  if (raw === undefined) throw new UsageError(`alarms ${sub}: ID is required`);
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`alarms ${sub}: ID must be a positive integer, got ${raw}`);
  return Number(raw);
}

function age(iso: string): string {
  return formatAge(ageSeconds(iso, Date.now()) ?? 0);
}

function sla(a: AlarmView): string {
  if (a.state !== 'firing') return '-';
  if (a.sla.breached) return 'BREACHED';
  return a.sla.dueAt ? `${Math.max(0, Math.round((Date.parse(a.sla.dueAt) - Date.now()) / 60_000))}m left` : '-';
}

/** One validated invocation: what to ask the hub, and how to show the answer. */
type Action = (client: ApiClient, json: boolean) => Promise<void>;

function show(json: boolean, v: unknown, human: string): void {
  if (json) printJson(v);
  else process.stdout.write(human);
}

function action(sub: string | undefined, arg: string | undefined, note: string | undefined, open: boolean, limit: string | undefined): Action {
  switch (sub) {
    case 'ack': {
      const id = alarmId('ack', arg);
      return async (c, json) => {
        const r = await c.call('alarms.ack', { id, note });
        show(json, r, `alarm ${r.id} acknowledged\n`);
      };
    }
    case 'resolve': {
      const id = alarmId('resolve', arg);
      if (!note?.trim()) throw new UsageError('alarms resolve: --note TEXT is required (cause and steps taken)');
      return async (c, json) => {
        const r = await c.call('alarms.resolve', { id, note });
        show(json, r, `alarm ${r.id} resolved\n`);
      };
    }
    case 'test-channel': {
      if (!arg) throw new UsageError('alarms test-channel: NAME is required');
      return async (c, json) => {
        const r = await c.call('alarms.testChannel', { name: arg });
        if (json) printJson(r);
        if (!r.ok) throw new OperationError(`test notification through ${r.channel} failed: ${r.error}`);
        if (!json) process.stdout.write(`test notification delivered through ${r.channel}\n`);
      };
    }
    case undefined: {
      if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) throw new UsageError(`alarms: --limit ${limit}: expected a positive number`);
      return async (c, json) => {
        const list = await c.call('alarms.list', { open, limit: limit ? Number(limit) : undefined });
        const rows = list.map((x) => [String(x.id), x.level, x.flapping ? `${x.state}*` : x.state, x.rule, x.host ?? '-', age(x.firedAt), sla(x), x.message]);
        show(json, list, table(['ID', 'LEVEL', 'STATE', 'RULE', 'HOST', 'AGE', 'SLA', 'MESSAGE'], rows) + '\n');
      };
    }
    default:
      throw new UsageError(`alarms: unknown subcommand ${sub} (expected ack, resolve or test-channel)`);
  }
}

export async function alarms(argv: string[]): Promise<number> {
  const a = parseArgs('alarms', argv, FLAGS.alarms);
  const ctx = resolveContext(a);
  const [sub, arg, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`alarms: unexpected argument ${rest[0]}`);
  const run = action(sub, arg, value(a, 'note'), a.switches.has('open'), value(a, 'limit'));
  const client = await connect(ctx);
  try {
    await run(client, ctx.json);
    return 0;
  } finally {
    client.close();
  }
}
