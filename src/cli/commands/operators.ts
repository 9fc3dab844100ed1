// `drc operators`: operator tokens with a role (viewer, operator, admin), created,
// listed and revoked by an admin. A new token is printed once; the hub keeps its hash.
import { isRole } from '../../protocol/roles.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';
import { expiresInSeconds } from './expires.js';

export async function operators(argv: string[]): Promise<number> {
  const a = parseArgs('operators', argv, FLAGS.operators);
  const ctx = resolveContext(a);
  const [sub, name, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`operators: unexpected argument ${rest[0]}`);
  if (sub !== undefined && sub !== 'add' && sub !== 'revoke') throw new UsageError(`operators: unknown subcommand ${sub} (expected add or revoke)`);
  if (sub !== undefined && !name) throw new UsageError(`operators ${sub}: NAME is required`);
  if (sub !== 'add' && (value(a, 'role') !== undefined || value(a, 'expires') !== undefined)) throw new UsageError('operators: --role and --expires go with operators add');
  const role = value(a, 'role') ?? 'viewer';
  if (sub === 'add' && !isRole(role)) throw new UsageError(`operators add: --role ${role}: expected viewer, operator or admin`);
  const expires = sub === 'add' ? expiresInSeconds('operators add', value(a, 'expires')) : undefined;
  const client = await connect(ctx);
  try {
    if (sub === 'add' && name && isRole(role)) {
      const r = await client.call('operators.add', { name, role, expiresInSeconds: expires });
      if (ctx.json) printJson(r);
      else
        process.stdout.write(
          `operator ${r.operator.name} (${r.operator.role}) added${r.operator.expiresAt ? `, expires ${r.operator.expiresAt}` : ''}. Its token (shown once, keep it secret):\n${r.token}\n` +
            'use it with DRC_TOKEN=<token> or --token-file FILE\n',
        );
      return 0;
    }
    if (sub === 'revoke' && name) {
      await client.call('operators.revoke', { name });
      if (ctx.json) printJson({ ok: true });
      else process.stdout.write(`token of operator ${name} revoked; its connections are closed\n`);
      return 0;
    }
    const list = await client.call('operators.list', {});
    if (ctx.json) printJson(list);
    else
      process.stdout.write(
        table(
          ['NAME', 'ROLE', 'STATE', 'CREATED', 'BY', 'EXPIRES', 'LAST USED'],
          list.map((o) => [
            o.name,
            o.role,
            o.revokedAt ? 'revoked' : o.expiresAt && Date.parse(o.expiresAt) <= Date.now() ? 'expired' : 'active',
            o.createdAt,
            o.createdBy,
            o.expiresAt ?? '-',
            o.lastUsedAt ?? '-',
          ]),
        ) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}
