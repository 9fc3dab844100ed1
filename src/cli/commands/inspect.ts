// `drc inspect`: the daily inspection as one report, on stdout or into a file (Markdown by
// default; HTML for a mail, JSON for scripts). Exit 0 whatever it finds: the findings are
// the report's first section. `--send` has the hub send it through its channels now.
import fs from 'node:fs';
import { buildInspection, inspectionHtml, inspectionMarkdown } from '../../reports/inspection.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext, type Context } from '../context.js';
import { printJson } from '../output.js';
import { OperationError, UsageError } from '../errors.js';

const FORMATS = ['md', 'html', 'json'] as const;

/** --send: the hub builds the report and sends it through the channels (the morning mail, now). */
async function send(ctx: Context, channels: string[] | undefined): Promise<number> {
  const client = await connect(ctx);
  try {
    const r = await client.call('inspection.send', { channels });
    const failed = r.deliveries.filter((d) => !d.ok);
    if (ctx.json) printJson(r);
    else for (const d of r.deliveries) process.stdout.write(`${d.channel}: ${d.ok ? 'sent' : `failed: ${d.error}`}\n`);
    if (failed.length) throw new OperationError(`inspect: not delivered to ${failed.map((d) => d.channel).join(', ')}`);
    return 0;
  } finally {
    client.close();
  }
}

export async function inspect(argv: string[]): Promise<number> {
  const a = parseArgs('inspect', argv, FLAGS.inspect);
  const ctx = resolveContext(a);
  if (a.positionals.length) throw new UsageError(`inspect: unexpected argument ${a.positionals[0]}`);
  const format = value(a, 'format') ?? (ctx.json ? 'json' : 'md');
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`inspect: --format ${format}: expected one of ${FORMATS.join(', ')}`);
  const out = value(a, 'out');
  const channels = a.values.get('channel');
  if (channels && !a.switches.has('send')) throw new UsageError('inspect: --channel goes with --send');
  if (a.switches.has('send')) {
    if (out !== undefined || value(a, 'format') !== undefined) throw new UsageError('inspect: --send mails the report (HTML with a Markdown copy); --out and --format are for a file');
    return send(ctx, channels);
  }
  const client = await connect(ctx);
  try {
    const [snapshot, inspection, alarms] = await Promise.all([client.call('hub.status', {}), client.call('inspection.get', {}), client.call('alarms.list', { open: true })]);
    const report = buildInspection(snapshot, inspection, alarms);
    const text = format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'html' ? inspectionHtml(report) : inspectionMarkdown(report);
    if (out === undefined) process.stdout.write(text);
    else {
      try {
        fs.writeFileSync(out, text);
      } catch (e) {
        throw new OperationError(`inspect: cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (ctx.json) process.stdout.write(JSON.stringify({ out, format, findings: report.findings }) + '\n');
      else process.stdout.write(`inspection written to ${out} (${report.findings.length} finding(s))\n`);
    }
    return 0;
  } finally {
    client.close();
  }
}
