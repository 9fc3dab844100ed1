// `drc report`: list drill and takeover reports; export one as Markdown, HTML or JSON.
import fs from 'node:fs';
import path from 'node:path';
import { reportHtml } from '../../recovery/report-html.js';
import { longDuration } from '../../format/human.js';
import { reportMarkdown } from '../../recovery/report-md.js';
import { parseArgs, required } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

const FORMATS = ['md', 'html', 'json'] as const;

export async function report(argv: string[]): Promise<number> {
  const a = parseArgs('report', argv, FLAGS.report);
  const ctx = resolveContext(a);
  const [sub, id, ...rest] = a.positionals;
  if (sub !== 'list' && sub !== 'export') throw new UsageError('report: expected list or export (drc report list | drc report export ID --format md|html|json --out FILE)');
  if (rest.length || (sub === 'list' && id !== undefined)) throw new UsageError(`report ${sub}: unexpected argument ${rest[0] ?? id}`);
  let format = 'md' as (typeof FORMATS)[number];
  let out = '';
  if (sub === 'export') {
    if (!id || !/^\d+$/.test(id)) throw new UsageError('report export: ID (a number from drc report list) is required');
    const f = required(a, 'report export', 'format');
    if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`report export: --format ${f}: expected one of ${FORMATS.join(', ')}`);
    format = f as typeof format;
    out = path.resolve(required(a, 'report export', 'out'));
  }
  const client = await connect(ctx);
  try {
    if (sub === 'list') {
      const rows = await client.call('reports.list', {});
      if (ctx.json) printJson(rows);
      else if (rows.length === 0) process.stdout.write('no drill or failover reports yet\n');
      else
        process.stdout.write(
          table(
            ['ID', 'KIND', 'HOSTS', 'TIME', 'STATE', 'VERDICT', 'RTO', 'RPO'],
            rows.map((r) => [String(r.id), r.kind, r.hosts.join(','), r.time, r.state, r.verdict ?? '-', longDuration(r.rto.actualSeconds), longDuration(r.rpo.actualSeconds)]),
          ) + '\n',
        );
      return 0;
    }
    const r = await client.call('reports.get', { id: Number(id) });
    const text = format === 'json' ? JSON.stringify(r, null, 2) + '\n' : format === 'html' ? reportHtml(r) : reportMarkdown(r);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
    if (ctx.json) printJson({ id: r.id, format, out, bytes: Buffer.byteLength(text) });
    else process.stdout.write(`wrote ${r.kind} report ${r.id} (${format}) to ${out}\n`);
    return 0;
  } finally {
    client.close();
  }
}
