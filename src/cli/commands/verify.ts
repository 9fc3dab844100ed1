import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { printJson, table } from '../output.js';
import { waitForJob } from './wait.js';

export async function verify(argv: string[]): Promise<number> {
  const a = parseArgs('verify', argv, FLAGS.verify);
  const ctx = resolveContext(a);
  const [host, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`verify: unexpected argument ${rest[0]}`);
  const s = value(a, 'sample');
  const sample = s === undefined ? undefined : Number(s.replace(/%$/, ''));
  if (sample !== undefined && !(sample > 0 && sample <= 100)) throw new UsageError(`verify: --sample ${s}: expected a percentage above 0 and at most 100`);
  const client = await connect(ctx);
  try {
    const queued = await client.call('store.verify', { host, sample });
    const jobs = [];
    for (const j of queued) jobs.push(await waitForJob(client, j, `verify ${j.host}`, ctx.json));
    const results = await client.call('verify.results', { jobs: jobs.map((j) => j.id) });
    const ok = jobs.every((j) => j.state === 'succeeded') && results.every((r) => r.ok);
    if (ctx.json) printJson({ ok, jobs, points: results });
    else {
      if (results.length)
        process.stdout.write(
          table(
            ['POINT', 'HOST', 'VOLUME', 'CHUNKS', 'SAMPLE', 'RESULT'],
            results.map((r) => [String(r.pointId), r.host, r.volume, String(r.chunksChecked), `${r.samplePct}%`, r.ok ? 'ok' : 'DAMAGED']),
          ) + '\n',
        );
      for (const r of results.filter((x) => !x.ok))
        for (const p of r.problems) process.stdout.write(`point ${r.pointId} volume ${p.volume}${p.block === null ? '' : ` block ${p.block}`}${p.chunk ? ` chunk ${p.chunk}` : ''}: ${p.message}\n`);
      if (jobs.length === 0) process.stdout.write('nothing to verify: no recovery points\n');
    }
    const failed = jobs.find((j) => j.state !== 'succeeded');
    if (!ok) throw new OperationError(failed ? `verify job ${failed.id} of ${failed.host} ${failed.state}: ${failed.error ?? ''}` : 'verify found damage');
    return 0;
  } finally {
    client.close();
  }
}
