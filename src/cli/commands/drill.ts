// `drc drill`: restore hosts into an isolated target, check them, measure RTO/RPO against
// their tier, record the verdict; list and clean up drill artefacts; record a verdict later.
import readline from 'node:readline/promises';
import type { ApiClient } from '../../client/api-client.js';
import { parseDuration } from '../../config/index.js';
import type { DrillPreview, RunView, Verdict } from '../../protocol/recovery.js';
import { formatBytes, longDuration } from '../../format/human.js';
import { parseArgs, value, type ParsedArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext, type Context } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { printJson, table } from '../output.js';
import { rtoForecastLine } from '../../recovery/forecast-text.js';
import { bootLine, objectiveLine, startAndFollow } from './run-follow.js';

const USAGE = 'drill HOST... [--plan NAME] [--point latest|ID|ISO-TIME] [--target NAME] [--ttl DURATION] [--verdict pass|fail] [--notes TEXT] [--instant] [--yes] [--json]';

function verdictOf(v: string | undefined, cmd: string): Verdict | undefined {
  if (v === undefined) return undefined;
  if (v !== 'pass' && v !== 'fail') throw new UsageError(`${cmd}: verdict ${v}: expected pass or fail`);
  return v;
}

function previewText(p: DrillPreview): string {
  const lines = p.hosts.flatMap((h) => [
    `host ${h.host} (tier ${h.tier ?? 'none'}; RTO ${h.rtoSeconds === null ? '-' : longDuration(h.rtoSeconds)}, RPO ${h.rpoSeconds === null ? '-' : longDuration(h.rpoSeconds)}); checks: ${h.checks.join(', ')}`,
    ...h.points.map((x) => `  ${x.volume}: point ${x.pointId} of ${x.time} (${x.type}, ${formatBytes(x.size)}${x.verified ? ', verified' : ''}) → ${x.image}`),
  ]);
  for (const n of p.notes ?? []) lines.push(`note: ${n}`);
  lines.push(`target: ${p.target.dir} (${p.target.type}, ${p.target.format}); removed after ${longDuration(p.ttlSeconds)}`);
  lines.push(rtoForecastLine(p.forecast));
  return lines.join('\n') + '\n';
}

async function confirm(a: ParsedArgs, preview: DrillPreview): Promise<void> {
  // the forecast is shown with --yes too (on stderr: stdout stays the result)
  if (a.switches.has('yes')) return void process.stderr.write(`drill: ${rtoForecastLine(preview.forecast)}\n`);
  if (!process.stdin.isTTY) throw new UsageError('drill: not confirmed and no terminal to ask on; pass --yes to start it (nothing was started)');
  process.stderr.write(previewText(preview));
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = (await rl.question('Start this drill? Production is not touched. [y/N] ')).trim().toLowerCase();
  rl.close();
  if (answer !== 'y' && answer !== 'yes') throw new OperationError('drill not started: not confirmed');
}

/** `drill cleanup` with neither a run id nor --expired nor --all: ask on a terminal, refuse elsewhere. */
async function confirmCleanupAll(client: ApiClient): Promise<void> {
  if (!process.stdin.isTTY) throw new UsageError('drill cleanup: give a run ID, --expired or --all (nothing was removed)');
  const rows = (await client.call('drill.list', {})).filter((r) => r.cleanedAt === null);
  if (rows.length === 0) return;
  process.stderr.write(rows.map((r) => `  drill ${r.runId} (${r.hosts.join(',')}): ${r.dir}, ${formatBytes(r.bytes)}`).join('\n') + '\n');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = (await rl.question(`Remove the artefacts of all ${rows.length} drill(s) above? [y/N] `)).trim().toLowerCase();
  rl.close();
  if (answer !== 'y' && answer !== 'yes') throw new OperationError('drill cleanup: not confirmed; nothing was removed');
}

function summary(v: RunView): string {
  const lines = [
    `drill run ${v.id} of ${v.hosts.map((h) => h.host).join(', ')}: ${v.state}, verdict ${v.verdict?.toUpperCase() ?? 'none'}`,
    objectiveLine('RTO', v.rto),
    ...(v.bootSeconds !== null ? [bootLine(v)] : []),
    objectiveLine('RPO', v.rpo),
    ...v.instances.filter((i) => i.state === 'running').map((i) => `instance ${i.id} running (${i.accel ?? '?'}, ${i.network}${i.ports.length ? `, ports ${i.ports.map((p) => `127.0.0.1:${p.host}→${p.guest}`).join(' ')}` : ''}); drc instances stop ${i.id}`),
    `images in ${v.target.dir}${v.expiresAt ? ` until ${v.expiresAt} (drc drill cleanup ${v.id} removes them now)` : ''}`,
    `report: drc report export ${v.id} --format html --out drill-${v.id}.html`,
  ];
  return lines.join('\n') + '\n';
}

async function runDrill(client: ApiClient, ctx: Context, a: ParsedArgs): Promise<number> {
  const hosts = a.positionals;
  const plan = value(a, 'plan');
  if (!hosts.length && !plan) throw new UsageError(`drill: HOST or --plan is required (drc ${USAGE})`);
  const ttl = value(a, 'ttl');
  let ttlSeconds: number | undefined;
  try {
    ttlSeconds = ttl === undefined ? undefined : parseDuration(ttl);
  } catch (e) {
    throw new UsageError(`drill: --ttl ${ttl}: ${(e as Error).message}`);
  }
  const scope = { hosts: hosts.length ? hosts : undefined, plan, point: value(a, 'point'), target: value(a, 'target') };
  const preview = await client.call('drill.preview', scope);
  await confirm(a, preview);
  const params = { ...scope, ttlSeconds, verdict: verdictOf(value(a, 'verdict'), 'drill'), notes: value(a, 'notes'), ...(a.switches.has('instant') ? { instant: true } : {}) };
  const run = await startAndFollow(client, () => client.call('drill.start', params), ctx.json);
  if (ctx.json) printJson(run);
  else process.stdout.write(summary(run));
  if (run.state !== 'completed' || run.verdict !== 'pass') throw new OperationError(`drill run ${run.id} ${run.state}${run.error ? `: ${run.error}` : ''}; verdict ${run.verdict ?? 'none'}`);
  return 0;
}

async function list(client: ApiClient, ctx: Context, all: boolean): Promise<number> {
  const rows = await client.call('drill.list', { all });
  if (ctx.json) printJson(rows);
  else if (rows.length === 0) process.stdout.write('no drill artefacts left\n');
  else
    process.stdout.write(
      table(['RUN', 'HOSTS', 'CREATED', 'EXPIRES', 'SIZE', 'DIRECTORY'], rows.map((r) => [String(r.runId), r.hosts.join(','), r.createdAt, r.cleanedAt ? `cleaned ${r.cleanedAt}` : (r.expiresAt ?? 'when finished'), formatBytes(r.bytes), r.dir])) + '\n',
    );
  return 0;
}

export async function drill(argv: string[]): Promise<number> {
  const a = parseArgs('drill', argv, FLAGS.drill);
  const ctx = resolveContext(a);
  const [sub, ...rest] = a.positionals;
  const client = await connect(ctx);
  try {
    if (sub === 'list') {
      if (rest.length) throw new UsageError(`drill list: unexpected argument ${rest[0]}`);
      return await list(client, ctx, a.switches.has('all'));
    }
    if (sub === 'cleanup') {
      if (rest.length > 1 || (rest[0] !== undefined && !/^\d+$/.test(rest[0]))) throw new UsageError('drill cleanup: expected at most one run id');
      const id = rest[0] === undefined ? undefined : Number(rest[0]);
      const expiredOnly = a.switches.has('expired');
      if (id === undefined && !expiredOnly && !a.switches.has('all')) await confirmCleanupAll(client);
      const removed = await client.call('drill.cleanup', id !== undefined || expiredOnly ? { id, expiredOnly } : { all: true });
      if (ctx.json) printJson(removed);
      else process.stdout.write(removed.length ? removed.map((r) => `removed ${r.dir} (drill ${r.runId}, ${formatBytes(r.bytes)})`).join('\n') + '\n' : 'nothing to clean up\n');
      return 0;
    }
    if (sub === 'verdict') {
      const [id, verdict, ...more] = rest;
      if (!id || !/^\d+$/.test(id) || !verdict || more.length) throw new UsageError('drill verdict: expected RUN-ID pass|fail [--notes TEXT]');
      const v = await client.call('drill.verdict', { id: Number(id), verdict: verdictOf(verdict, 'drill verdict')!, notes: value(a, 'notes') });
      if (ctx.json) printJson(v);
      else process.stdout.write(`drill run ${v.id}: verdict ${v.verdict} recorded\n`);
      return 0;
    }
    return await runDrill(client, ctx, a);
  } finally {
    client.close();
  }
}
