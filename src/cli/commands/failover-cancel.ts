// `drc failover cancel HOST --confirm HOST`: a failover that was a mistake, undone without
// failback. The host is un-fenced and its agent replicates again from its last committed
// generation; whatever was written at the DR site stays there.
import { HubError } from '../../client/api-client.js';
import { parseArgs, value } from '../args.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';

export async function failoverCancel(argv: string[]): Promise<number> {
  const a = parseArgs('failover cancel', argv, { values: ['confirm'] });
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (!host) throw new UsageError('failover cancel: HOST is required (drc failover cancel HOST --confirm HOST)');
  if (rest.length) throw new UsageError(`failover cancel: unexpected argument ${rest[0]}`);
  const client = await connect(ctx);
  try {
    let r;
    try {
      r = await client.call('failover.cancel', { host, confirm: value(a, 'confirm') });
    } catch (e) {
      if (e instanceof HubError && e.code === 'confirm-required') throw new UsageError(`failover cancel: ${e.message}`);
      throw e;
    }
    if (ctx.json) printJson(r);
    else process.stdout.write(`${host} un-fenced without failback; ${r.agentTold ? 'its agent replicates again' : 'its agent is told when it connects'} from its last committed generation\n`);
    return 0;
  } finally {
    client.close();
  }
}
