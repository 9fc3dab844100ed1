import fs from 'node:fs';
import path from 'node:path';
import { makePrivateDir, makePrivateFile } from '../../hub/privacy.js';
import { openPackStore, parseStoreLocation, readPassphrase, storeTarget, type StoreTarget } from '../../store/registry.js';
import type { PackStore } from '../../store/pack-store.js';
import { recoverCatalog, type RecoverReport } from '../../store/recover.js';
import { s3Credentials } from '../../store/s3-pack-store.js';
import { parseArgs, value, type ParsedArgs } from '../args.js';
import { FLAGS } from '../flags.js';
import { readGiven, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';

/** `--from`: a directory that exists, or s3://BUCKET[/PREFIX] whose credentials are at hand. */
function sourceOf(a: ParsedArgs, from: string): StoreTarget {
  if (/^s3:/i.test(from) && !/^s3:\/\/[^/]+/.test(from)) throw new UsageError(`store recover: --from ${from}: expected s3://BUCKET[/PREFIX]`);
  const credentialsFile = value(a, 'credentials-file') ?? null;
  const t = parseStoreLocation(from, { endpoint: value(a, 'endpoint'), region: value(a, 'region'), pathStyle: !a.switches.has('no-path-style'), credentialsFile });
  if (t.type !== 's3') {
    if (!fs.statSync(t.path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`store recover: --from ${from}: no such directory`);
    return t;
  }
  if (credentialsFile) readGiven('store recover: --credentials-file', credentialsFile);
  else {
    try {
      s3Credentials(null);
    } catch {
      // the config's credentials_file is the destination's, not the source's
      throw new UsageError(`store recover: no S3 credentials for --from ${from}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --credentials-file FILE`);
    }
  }
  return t;
}

/**
 * Undo what a failed recover made: the data directory when it is new, else the entries it
 * did not hold before (and a store directory outside it that is new). Nothing older is touched.
 */
function undoer(dataDir: string, dest: StoreTarget): () => void {
  const existed = fs.existsSync(dataDir);
  const held = new Set(existed ? fs.readdirSync(dataDir) : []);
  const newStore = dest.type !== 's3' && !fs.existsSync(dest.path) ? dest.path : null;
  return () => {
    if (newStore) fs.rmSync(newStore, { recursive: true, force: true });
    if (!existed) fs.rmSync(dataDir, { recursive: true, force: true });
    else for (const f of fs.readdirSync(dataDir)) if (!held.has(f)) fs.rmSync(path.join(dataDir, f), { recursive: true, force: true });
  };
}

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
  const source = sourceOf(a, from);
  const passphrase = readPassphrase(ctx.config.store.encryption);
  const target = storeTarget(ctx.config.store, ctx.dataDir);
  const undo = undoer(ctx.dataDir, target);
  const tty = process.stderr.isTTY === true && !ctx.json;
  let umask: number | null = null;
  let ok = false;
  try {
    // private like the hub's own data directory; the store writes its key files, config and
    // packs with the process umask, so it is narrowed for them
    makePrivateDir(ctx.dataDir);
    umask = process.umask(0o077);
    const catalogFile = path.join(ctx.dataDir, 'catalog.db');
    makePrivateFile(catalogFile);
    const src = openPackStore(source);
    let dest: PackStore | null = null;
    let r: RecoverReport;
    try {
      dest = openPackStore(target);
      r = await recoverCatalog(src, dest, catalogFile, {
        passphrase,
        hubName: ctx.config.hub.name,
        onProgress: (what, done, total) => {
          if (tty) process.stderr.write(`\r\x1b[2Kstore recover: ${what} ${done}/${total}`);
        },
      });
    } finally {
      if (tty) process.stderr.write('\r\x1b[2K'); // before the report, or the one-line error
      src.close();
      dest?.close();
    }
    ok = true;
    if (ctx.json) printJson(r);
    else printReport(r, ctx.dataDir, value(a, 'config'));
    return 0;
  } finally {
    if (umask !== null) process.umask(umask);
    if (!ok) undo();
  }
}

function printReport(r: RecoverReport, dataDir: string, config: string | undefined): void {
  process.stdout.write(
    `recovered ${r.points} point(s) of ${r.volumes} volume(s) on ${r.hosts} host(s) from ${r.from}; ${r.packs} pack(s) (${r.packsCopied} copied into ${r.into}), ${r.chunks} chunk(s) indexed\n`,
  );
  for (const s of r.skipped) process.stdout.write(`  skipped ${s}\n`);
  if (r.hosts > 0) {
    // agent tokens are not in the store: each host needs a new one from the new hub
    const data = ` --data ${dataDir}`;
    const cfg = config ? ` --config ${config}` : '';
    process.stdout.write(`next: start the new hub (drc serve${data}${cfg}), then issue each host a new agent token and give it to its agent (--token-file):\n`);
    for (const h of r.hostNames) process.stdout.write(`  drc hosts add ${h}${data}\n`);
  }
}
