import fs from 'node:fs';
import path from 'node:path';
import { openPackStore, parseStoreLocation, readPassphrase, storeTarget } from '../../store/registry.js';
import { recoverCatalog } from '../../store/recover.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';

export async function store(argv: string[]): Promise<number> {
  const a = parseArgs('store', argv, FLAGS.store);
  const ctx = resolveContext(a);
  const [sub, ...rest] = a.positionals;
  if (sub !== 'recover') throw new UsageError(`store: ${sub === undefined ? 'a subcommand is required' : `unknown subcommand ${sub}`} (expected recover)`);
  if (rest.length) throw new UsageError(`store recover: unexpected argument ${rest[0]}`);
  const from = value(a, 'from');
  if (!from) throw new UsageError('store recover: --from DIR|s3://BUCKET/PREFIX is required');
  if (!value(a, 'data') && !ctx.config.hub.data) throw new UsageError('store recover: --data NEWDIR is required (the new hub\'s data directory)');
  if (fs.existsSync(path.join(ctx.dataDir, 'api.sock'))) throw new UsageError(`store recover: a hub is running on ${ctx.dataDir}; stop it first`);
  const src = openPackStore(
    parseStoreLocation(from, { endpoint: value(a, 'endpoint'), region: value(a, 'region'), pathStyle: !a.switches.has('no-path-style'), credentialsFile: value(a, 'credentials-file') ?? null }),
  );
  fs.mkdirSync(ctx.dataDir, { recursive: true });
  const dest = openPackStore(storeTarget(ctx.config.store, ctx.dataDir));
  const tty = process.stderr.isTTY === true && !ctx.json;
  try {
    const r = await recoverCatalog(src, dest, path.join(ctx.dataDir, 'catalog.db'), {
      passphrase: readPassphrase(ctx.config.store.encryption),
      onProgress: (what, done, total) => {
        if (tty) process.stderr.write(`\r\x1b[2Kstore recover: ${what} ${done}/${total}`);
      },
    });
    if (tty) process.stderr.write('\r\x1b[2K');
    if (ctx.json) printJson(r);
    else {
      process.stdout.write(
        `recovered ${r.points} point(s) of ${r.volumes} volume(s) on ${r.hosts} host(s) from ${r.from}; ${r.packs} pack(s) (${r.packsCopied} copied into ${r.into}), ${r.chunks} chunk(s) indexed\n`,
      );
      for (const s of r.skipped) process.stdout.write(`  skipped ${s}\n`);
      if (r.hosts > 0) {
        // agent tokens are not in the store: each host needs a new one from the new hub
        const data = ` --data ${ctx.dataDir}`;
        const cfg = value(a, 'config') ? ` --config ${value(a, 'config')}` : '';
        process.stdout.write(`next: start the new hub (drc serve${data}${cfg}), then issue each host a new agent token and give it to its agent (--token-file):\n`);
        for (const h of r.hostNames) process.stdout.write(`  drc hosts add ${h}${data}\n`);
      }
    }
    return 0;
  } finally {
    src.close();
    dest.close();
  }
}
