import { openPackStore, readPassphrase, storeTarget } from '../../store/registry.js';
import { Repository } from '../../store/repository.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { readGiven, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

/** Key files of the configured store; the config's passphrase opens it. */
export async function key(argv: string[]): Promise<number> {
  const a = parseArgs('key', argv, FLAGS.key);
  const ctx = resolveContext(a);
  const [sub, id, ...rest] = a.positionals;
  if (rest.length) throw new UsageError(`key: unexpected argument ${rest[0]}`);
  if (sub !== 'list' && sub !== 'add' && sub !== 'remove') throw new UsageError(`key: ${sub === undefined ? 'a subcommand is required' : `unknown subcommand ${sub}`} (expected list, add or remove)`);
  const file = sub === 'add' ? value(a, 'new-passphrase-file') : undefined;
  if (sub === 'add' && !file) throw new UsageError('key add: --new-passphrase-file FILE is required');
  // read before the store is opened: a missing file is a usage error, and changes nothing
  const next = file ? readGiven('key add: --new-passphrase-file', file).toString('utf8').replace(/\r?\n$/, '') : '';
  if (file && !next) throw new UsageError(`key add: --new-passphrase-file ${file} is empty`);
  const passphrase = readPassphrase(ctx.config.store.encryption);
  if (passphrase === null) throw new UsageError('key: the config has no store.encryption passphrase');
  const packStore = openPackStore(storeTarget(ctx.config.store, ctx.dataDir));
  try {
    const repo = await Repository.open(packStore, { passphrase, create: false });
    if (sub === 'list') {
      const keys = await repo.keys();
      if (ctx.json) printJson(keys.map((k) => ({ id: k.id, created: k.created, label: k.label })));
      else process.stdout.write(table(['ID', 'CREATED', 'ADDED BY'], keys.map((k) => [k.id, k.created, k.label])) + '\n');
    } else if (sub === 'add') {
      const k = await repo.addKey(next);
      if (ctx.json) printJson({ id: k.id, created: k.created, label: k.label });
      else process.stdout.write(`added key ${k.id}\n`);
    } else {
      if (!id) throw new UsageError('key remove: ID is required');
      await repo.removeKey(id, passphrase);
      if (ctx.json) printJson({ removed: id });
      else process.stdout.write(`removed key ${id}\n`);
    }
    return 0;
  } finally {
    packStore.close();
  }
}
