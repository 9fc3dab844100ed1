// A repository: the objects of one PackStore (config, key files, packs, point objects, the
// owner lock) and the keys that open them. Opening checks the passphrase against the key
// files; creating writes a config object and, when encrypted, a first key file.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { StoreCipher, newMasterKey, parseKeyFile, unwrapMasterKey, wrapMasterKey, type KeyFile } from './crypto.js';
import { StoreError } from './errors.js';
import { OBJECT, ObjectExistsError, ObjectMissingError, type PackStore } from './pack-store.js';

export interface RepositoryConfig {
  version: 1;
  id: string;
  created: string;
  encryption: 'none' | 'aes-256-gcm';
}

export interface OpenOptions {
  /** the passphrase from the config; null = none given */
  passphrase: string | null;
  /** create the repository when the store holds none */
  create: boolean;
}

function label(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}

export async function readRepositoryConfig(store: PackStore): Promise<RepositoryConfig | null> {
  let bytes: Buffer;
  try {
    bytes = await store.get(OBJECT.config);
  } catch (e) {
    if (e instanceof ObjectMissingError) return null;
    throw e;
  }
  try {
    const c = JSON.parse(bytes.toString()) as RepositoryConfig;
    if (c.version !== 1 || typeof c.id !== 'string') throw new Error('unknown version');
    return c;
  } catch (e) {
    throw new StoreError(`${store.location}: the repository config object is not readable (${(e as Error).message})`);
  }
}

export async function readKeyFiles(store: PackStore): Promise<KeyFile[]> {
  const names = await store.list('keys/');
  return Promise.all(names.map(async (n) => parseKeyFile((await store.get(n.name)).toString(), `${store.location}${n.name}`)));
}

export class Repository {
  private constructor(
    readonly store: PackStore,
    readonly config: RepositoryConfig,
    private readonly master: Buffer | null,
  ) {
    this.cipher = master ? new StoreCipher(master) : null;
  }
  readonly cipher: StoreCipher | null;

  get encrypted(): boolean {
    return this.config.encryption !== 'none';
  }

  static async open(store: PackStore, o: OpenOptions): Promise<Repository> {
    const config = await readRepositoryConfig(store);
    if (!config) {
      if (!o.create) throw new StoreError(`${store.location} holds no drc repository (no config object)`);
      return Repository.create(store, o.passphrase);
    }
    if (config.encryption === 'none') return new Repository(store, config, null);
    if (o.passphrase === null) throw new StoreError(`the store at ${store.location} is encrypted: set store.encryption.passphrase_file or passphrase_env in the config`);
    const master = await Repository.unlock(store, o.passphrase);
    return new Repository(store, config, master);
  }

  private static async unlock(store: PackStore, passphrase: string): Promise<Buffer> {
    const keys = await readKeyFiles(store);
    if (keys.length === 0) throw new StoreError(`the store at ${store.location} is encrypted but has no key files`);
    for (const k of keys) {
      const m = unwrapMasterKey(k, passphrase);
      if (m) return m;
    }
    throw new StoreError(`wrong passphrase: none of the ${keys.length} key file(s) of ${store.location} opens with it`);
  }

  private static async create(store: PackStore, passphrase: string | null): Promise<Repository> {
    const config: RepositoryConfig = { version: 1, id: randomBytes(16).toString('hex'), created: new Date().toISOString(), encryption: passphrase === null ? 'none' : 'aes-256-gcm' };
    const master = passphrase === null ? null : newMasterKey();
    if (master && passphrase !== null) {
      const k = wrapMasterKey(master, passphrase, label());
      await store.put(OBJECT.key(k.id), Buffer.from(JSON.stringify(k, null, 2)));
    }
    try {
      await store.put(OBJECT.config, Buffer.from(JSON.stringify(config, null, 2)));
    } catch (e) {
      if (e instanceof ObjectExistsError) return Repository.open(store, { passphrase, create: false });
      throw e;
    }
    return new Repository(store, config, master);
  }

  /**
   * Make `target` hold this repository (same id, same key files), so packs and point objects
   * copied byte for byte open there with the same passphrase. Refuses another repository.
   */
  /**
   * The repository's config and key files on a copy target. With `prune`, a key removed here
   * (`drc key remove`) is removed there too: a passphrase taken back must not go on opening
   * the copies (an immutable copy cannot delete, and store recover writes into a store it
   * must not take keys from). The key files left there that this repository no longer has
   * are returned.
   */
  async initCopy(target: PackStore, o: { prune?: boolean } = {}): Promise<string[]> {
    const there = await readRepositoryConfig(target);
    if (there && there.id !== this.config.id) throw new StoreError(`${target.location} holds another repository (${there.id.slice(0, 8)}, not ${this.config.id.slice(0, 8)})`);
    const have = new Set((await target.list('keys/')).map((k) => k.name));
    const mine = new Set((await this.store.list('keys/')).map((k) => k.name));
    for (const k of mine) {
      if (!have.has(k)) await target.put(k, await this.store.get(k));
    }
    if (!there) await target.put(OBJECT.config, await this.store.get(OBJECT.config));
    // an unencrypted repository has no keys at all: nothing to take back
    const stale = mine.size > 0 ? [...have].filter((k) => !mine.has(k)) : [];
    if (!o.prune) return stale;
    for (const k of stale) await target.delete(k);
    return [];
  }

  async keys(): Promise<KeyFile[]> {
    return readKeyFiles(this.store);
  }

  /** Another passphrase that opens this repository. */
  async addKey(passphrase: string): Promise<KeyFile> {
    if (!this.master) throw new StoreError(`the store at ${this.store.location} is not encrypted: it has no keys`);
    const k = wrapMasterKey(this.master, passphrase, label());
    await this.store.put(OBJECT.key(k.id), Buffer.from(JSON.stringify(k, null, 2)));
    return k;
  }

  async removeKey(id: string, currentPassphrase: string): Promise<void> {
    const keys = await this.keys();
    const k = keys.find((x) => x.id === id || x.id.startsWith(id));
    if (!k) throw new StoreError(`no key ${id} in ${this.store.location}`);
    if (keys.length === 1) throw new StoreError('this is the last key file: removing it would lock the repository for good');
    const others = keys.filter((x) => x !== k);
    if (!others.some((x) => unwrapMasterKey(x, currentPassphrase))) throw new StoreError(`key ${k.id} is the one this passphrase opens: add another key first, or use another passphrase`);
    await this.store.delete(OBJECT.key(k.id));
  }

  /** The owner lock: a second hub on the same store is refused. */
  async lock(owner: string, hub: string): Promise<void> {
    const mine = { owner, hub, host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
    // read first: servers that ignore If-None-Match would let a put replace another hub's lock
    for (let attempt = 0; attempt < 2; attempt++) {
      let held: typeof mine | null = null;
      try {
        held = JSON.parse((await this.store.get(OBJECT.lock)).toString()) as typeof mine;
      } catch (e) {
        if (!(e instanceof ObjectMissingError)) throw e;
      }
      if (held && held.owner !== owner) {
        throw new StoreError(`the store at ${this.store.location} is in use by hub ${held.hub} on ${held.host} since ${held.since}; delete its ${OBJECT.lock} object if that hub is gone`);
      }
      if (held) return;
      try {
        await this.store.put(OBJECT.lock, Buffer.from(JSON.stringify(mine)));
        return;
      } catch (e) {
        if (!(e instanceof ObjectExistsError)) throw e;
      }
    }
  }

  async unlockOwner(owner: string): Promise<void> {
    try {
      const held = JSON.parse((await this.store.get(OBJECT.lock)).toString()) as { owner: string };
      if (held.owner === owner) await this.store.delete(OBJECT.lock);
    } catch {
      /* no lock, or the store is gone */
    }
  }
}
