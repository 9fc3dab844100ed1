// `drc failback HOST --confirm HOST`: bring a failed-over host home. Shows the pre-check (the
// source agent, its volumes, the blocks that differ and the bytes to send back), then — only
// with the host name typed exactly — runs the failback and follows it to its end.
import { HubError } from '../../client/api-client.js';
import type { FailbackPrecheck, RunView } from '../../protocol/recovery.js';
import { formatBytes, longDuration } from '../../format/human.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { objectiveLine, startAndFollow } from './run-follow.js';

function precheckText(p: FailbackPrecheck): string {
  const lines = [`pre-check of a failback of ${p.host}${p.failoverRun ? ` (from failover run ${p.failoverRun})` : ''}:`];
  for (const g of p.gates) lines.push(`  ${g.ok ? 'ok     ' : g.blocking ? 'BLOCKED' : 'warning'} ${g.name.padEnd(11)} ${g.detail}`);
  for (const v of p.volumes) lines.push(`  volume ${v.volume}: ${v.differingBlocks ?? '?'} block(s) differ, ${v.bytes === null ? '?' : formatBytes(v.bytes)} to send back from ${v.image}`);
  lines.push(`  to send: ${p.bytesToSend === null ? '?' : formatBytes(p.bytesToSend)}${p.forecastSeconds === null ? '' : ` (about ${longDuration(p.forecastSeconds)})`}; switch hook: ${p.switchHook ?? 'none (the switch step is skipped)'}`);
  return lines.join('\n') + '\n';
}

function summary(v: RunView): string {
  return [
    `failback run ${v.id} of ${v.hosts.map((h) => h.host).join(', ')}: ${v.state}${v.error ? ` (${v.error})` : ''}`,
    objectiveLine('RTO', v.rto),
    objectiveLine('RPO', v.rpo),
    `failback report: drc report export ${v.id} --format html --out failback-${v.id}.html`,
  ].join('\n') + '\n';
}

export async function failback(argv: string[]): Promise<number> {
  const a = parseArgs('failback', argv, FLAGS.failback);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (!host) throw new UsageError('failback: HOST is required (drc failback HOST --confirm HOST)');
  if (rest.length) throw new UsageError(`failback: unexpected argument ${rest[0]} (one host per failback)`);
  const client = await connect(ctx);
  try {
    // without a confirmation the hub refuses (and audits) before anything is measured
    if (value(a, 'confirm') === host) {
      const pre = await client.call('failback.precheck', { host });
      (ctx.json ? process.stderr : process.stdout).write(precheckText(pre));
    }
    let run: RunView;
    try {
      run = await startAndFollow(client, () => client.call('failback.start', { host, confirm: value(a, 'confirm') }), ctx.json);
    } catch (e) {
      if (e instanceof HubError && e.code === 'confirm-required') throw new UsageError(`failback: ${e.message}`);
      throw e;
    }
    if (ctx.json) printJson(run);
    else process.stdout.write(summary(run));
    if (run.state !== 'completed') throw new OperationError(`failback run ${run.id} ${run.state}: ${run.error ?? 'see the report'}; ${host} stays failed over, retry when fixed`);
    if (run.verdict === 'fail') throw new OperationError(`failback run ${run.id} completed with verdict fail: see drc report export ${run.id}`);
    return 0;
  } finally {
    client.close();
  }
}
