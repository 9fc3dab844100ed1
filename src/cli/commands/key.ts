import readline from 'node:readline/promises';
import { openPackStore, readPassphrase, storeTarget } from '../../store/registry.js';
import { unwrapMasterKey } from '../../store/crypto.js';
import { Repository } from '../../store/repository.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { readGiven, resolveContext } from '../context.js';
import { OperationError, UsageError } from '../errors.js';
import { printJson, table } from '../output.js';

/** `key remove` without --yes: ask on a terminal, refuse elsewhere. */
async function confirmRemove(id: string, label: string): Promise<void> {
  if (!process.stdin.isTTY) throw new UsageError(`key remove: not confirmed and no terminal to ask on; pass --yes to remove key ${id} (nothing was removed)`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = (await rl.question(`Remove key ${id} (${label})? Its passphrase will no longer open the store or, after their next run, its copies. [y/N] `)).trim().toLowerCase();
  rl.close();
  if (answer !== 'y' && answer !== 'yes') throw new OperationError('key remove: not confirmed; nothing was removed');
}

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
      const same = (await repo.keys()).find((x) => unwrapMasterKey(x, next));
      if (same) throw new UsageError(`key add: that passphrase already opens key ${same.id}; no key added`);
      const k = await repo.addKey(next);
      if (ctx.json) printJson({ id: k.id, created: k.created, label: k.label });
      else process.stdout.write(`added key ${k.id}\n`);
    } else {
      if (!id) throw new UsageError('key remove: ID is required');
      const k = (await repo.keys()).find((x) => x.id === id || x.id.startsWith(id));
      // whoever holds that passphrase can no longer open the store (nor, after their next run, its copies)
      if (k && !a.switches.has('yes')) await confirmRemove(k.id, k.label);
      await repo.removeKey(id, passphrase);
      if (ctx.json) printJson({ removed: id });
      else process.stdout.write(`removed key ${id}\n`);
    }
    return 0;
  } finally {
    packStore.close();
  }
}
