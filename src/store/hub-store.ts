// The hub's store as configured: the local staging directory (synchronous, fsynced before a
// commit) and the repository its packs are kept in, opened at start (passphrase checked,
// owner lock taken on a remote store) and closed at stop.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StoreConfig } from '../config/types.js';
import { LocalDirectoryBackend } from './backend.js';
import type { BlockStore } from './block-store.js';
import { openPackStore, readPassphrase, storeTarget } from './registry.js';
import { Repository } from './repository.js';

/** Where packs are staged: a local store's own packs directory, else DATA/store/staging. */
export function stagingFor(c: StoreConfig, dataDir: string): LocalDirectoryBackend {
  const t = storeTarget(c, dataDir);
  return new LocalDirectoryBackend(t.type === 's3' ? path.join(dataDir, 'store', 'staging') : path.join(t.path, 'packs'));
}

/** This data directory's identity in owner locks (kept across restarts). */
export function hubOwnerId(dataDir: string): string {
  const file = path.join(dataDir, 'hub-id');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomBytes(16).toString('hex');
    fs.writeFileSync(file, `${id}\n`);
    return id;
  }
}

export interface OpenedStore {
  repo: Repository;
  /** the passphrase was given but the existing store is plain (encryption applies to new stores) */
  plainDespitePassphrase: boolean;
  close(): Promise<void>;
}

export async function openHubStore(store: BlockStore, c: StoreConfig, dataDir: string, hubName: string): Promise<OpenedStore> {
  const packStore = openPackStore(storeTarget(c, dataDir));
  let locked: (() => Promise<void>) | null = null;
  try {
    const passphrase = readPassphrase(c.encryption);
    const repo = await Repository.open(packStore, { passphrase, create: true });
    const owner = hubOwnerId(dataDir);
    if (!packStore.local) {
      await repo.lock(owner, hubName);
      locked = () => repo.unlockOwner(owner);
    }
    store.attach(repo, path.join(dataDir, 'store', 'cache'), c.cacheBytes);
    return {
      repo,
      plainDespitePassphrase: passphrase !== null && !repo.encrypted,
      close: async () => {
        if (!packStore.local) await repo.unlockOwner(owner);
        packStore.close();
      },
    };
  } catch (e) {
    await locked?.().catch(() => undefined);
    packStore.close();
    throw e;
  }
}
