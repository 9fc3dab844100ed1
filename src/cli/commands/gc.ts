import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { connect, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes, longDuration } from '../../format/human.js';
import { printJson } from '../output.js';

export async function gc(argv: string[]): Promise<number> {
  const a = parseArgs('gc', argv, FLAGS.gc);
  const ctx = resolveContext(a);
  if (a.positionals.length) throw new UsageError(`gc: unexpected argument ${a.positionals[0]}`);
  const limit = value(a, 'limit');
  const mibps = limit === undefined ? undefined : Number(limit);
  if (mibps !== undefined && !(mibps > 0)) throw new UsageError(`gc: --limit ${limit}: expected MiB per second above 0`);
  const client = await connect(ctx);
  const tty = process.stderr.isTTY === true;
  let lastLine = '';
  // the gc request runs for as long as gc does; progress comes from a second request
  const poll = setInterval(() => {
    void client
      .call('maintenance.status', {})
      .then((s) => {
        if (ctx.json || s.task !== 'gc') return;
        const line = `gc: ${s.phase} ${s.done}/${s.total}`;
        if (line === lastLine) return;
        lastLine = line;
        process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      })
      .catch(() => undefined);
  }, 500);
  try {
    const r = await client.call('store.gc', { bytesPerSecond: mibps === undefined ? undefined : Math.round(mibps * 1024 * 1024) });
    if (tty && lastLine) process.stderr.write('\r\x1b[2K');
    if (ctx.json) printJson(r);
    else
      process.stdout.write(
        `gc: removed ${r.chunksRemoved} unreferenced chunks${r.chunksPinned ? ` (kept ${r.chunksPinned} a running backup relies on)` : ''}; ` +
          `repacked ${r.packsRepacked} packs into ${r.packsWritten}, dropped ${r.packsDropped}; ` +
          `${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}, freed ${formatBytes(r.bytesFreed)} in ${longDuration(r.durationMs / 1000)}\n`,
      );
    return 0;
  } finally {
    clearInterval(poll);
    client.close();
  }
}
