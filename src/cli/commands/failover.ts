// `drc failover HOST --confirm HOST`: show the pre-check gates, then (only with the host name
// typed exactly) take a final sync when the source is connected, fence it, restore to the
// production target, post-check, switch. `drc failover cancel HOST --confirm HOST` un-fences.
import { HubError } from '../../client/api-client.js';
import type { FailoverPrecheck, RunView } from '../../protocol/recovery.js';
import { rtoForecastLine } from '../../recovery/forecast-text.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { bootLine, objectiveLine, startAndFollow } from './run-follow.js';
import { failoverCancel } from './failover-cancel.js';

function gatesText(p: FailoverPrecheck): string {
  const lines = [`pre-check of a failover of ${p.host.host} to ${p.target.dir} (${p.target.type}, ${p.target.format}):`];
  for (const g of p.gates) lines.push(`  ${g.ok ? 'ok     ' : g.blocking ? 'BLOCKED' : 'warning'} ${g.name.padEnd(8)} ${g.detail}`);
  lines.push(`  ${rtoForecastLine(p.forecast)}`, `  switch hook: ${p.switchHook ?? 'none (the switch step is skipped)'}`);
  for (const n of p.notes ?? []) lines.push(`  note: ${n}`);
  return lines.join('\n') + '\n';
}

function summary(v: RunView): string {
  return [
    `failover run ${v.id} of ${v.hosts.map((h) => h.host).join(', ')}: ${v.state}${v.error ? ` (${v.error})` : ''}`,
    objectiveLine('RTO', v.rto),
    ...(v.bootSeconds !== null ? [bootLine(v)] : []),
    objectiveLine('RPO', v.rpo),
    `images in ${v.target.dir}`,
    `takeover report: drc report export ${v.id} --format html --out takeover-${v.id}.html`,
  ].join('\n') + '\n';
}

export async function failover(argv: string[]): Promise<number> {
  if (argv[0] === 'cancel') return failoverCancel(argv.slice(1));
  const a = parseArgs('failover', argv, FLAGS.failover);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (!host) throw new UsageError('failover: HOST is required (drc failover HOST --confirm HOST)');
  if (rest.length) throw new UsageError(`failover: unexpected argument ${rest[0]} (one host per failover)`);
  const scope = { host, point: value(a, 'point'), target: value(a, 'target'), ...(a.switches.has('no-final-sync') ? { noFinalSync: true } : {}) };
  const client = await connect(ctx);
  try {
    const pre = await client.call('failover.precheck', scope);
    // gates first; with --json they go to stderr so stdout stays one document
    (ctx.json ? process.stderr : process.stdout).write(gatesText(pre));
    let run: RunView;
    try {
      run = await startAndFollow(client, () => client.call('failover.start', { ...scope, confirm: value(a, 'confirm'), ...(a.switches.has('instant') ? { instant: true } : {}) }), ctx.json);
    } catch (e) {
      // the hub audited the refusal; a missing confirmation is a usage error
      if (e instanceof HubError && e.code === 'confirm-required') throw new UsageError(`failover: ${e.message}`);
      throw e;
    }
    if (ctx.json) printJson(run);
    else process.stdout.write(summary(run));
    if (run.state !== 'completed') throw new OperationError(`failover run ${run.id} ${run.state}: ${run.error ?? 'see the report'}`);
    // a takeover that ran to the end but missed its objectives or checks failed, as a drill does
    if (run.verdict === 'fail') throw new OperationError(`failover run ${run.id} completed with verdict FAIL (RTO ${run.rto.pass === false ? 'missed' : 'met'}, RPO ${run.rpo.pass === false ? 'missed' : 'met'}); see the report`);
    return 0;
  } finally {
    client.close();
  }
}
