// Operator API requests of the store backend and copies; each validated with its schema
// (protocol/operator.ts), then carried out, and audited.
import { storageRequests } from '../protocol/operator.js';
import type { RepairView, StoreView } from '../protocol/storage.js';
import type { BlockStore } from '../store/block-store.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { HubCopies } from './copies.js';
import { methodsOf, parse } from './params.js';
import type { Journal } from './ports.js';

export const STORAGE_METHODS = methodsOf(storageRequests);

/** What the requests of the store and copies use. */
export interface StorageRequestPorts {
  store: Pick<BlockStore, 'repo' | 'cache'>;
  copies: Pick<HubCopies, 'run' | 'views'>;
  journal: Pick<Journal, 'audit'>;
  /** heal damaged chunks from agents and copies (repair.ts) */
  repair(host?: string): Promise<RepairView>;
}

export function storeView(store: Pick<BlockStore, 'repo' | 'cache'>): StoreView {
  const repo = store.repo;
  const cache = store.cache;
  const remote = repo !== null && !repo.store.local;
  return {
    type: remote ? 's3' : 'local',
    location: repo?.store.location ?? '',
    encrypted: repo?.encrypted ?? false,
    cache: remote && cache ? { bytes: cache.usedBytes, maxBytes: cache.maxBytes, packs: cache.packCount, hits: cache.hits, misses: cache.misses } : null,
  };
}

export async function handleStorageRequest(ports: StorageRequestPorts, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  switch (method) {
    case 'store.info':
      parse('store.info', params);
      return storeView(ports.store);
    case 'copies.list':
      parse('copies.list', params);
      return ports.copies.views();
    case 'copies.run': {
      const p = parse('copies.run', params);
      const run = ports.copies.run(p.name, client.actor, p.bytesPerSecond);
      ports.journal.audit(client.actor, 'copies.run', p.name, 'started', { run: run.id });
      if (p.wait) {
        const r = await run.done;
        if (r.state === 'failed') throw new ApiError('store', r.error ?? `copy ${p.name} failed`);
        return r;
      }
      return ports.copies.views().find((c) => c.name === p.name)?.lastRun;
    }
    case 'store.repair': {
      const p = parse('store.repair', params);
      const r = await ports.repair(p.host);
      ports.journal.audit(client.actor, 'store.repair', p.host ?? null, r.stillDamaged ? 'partial' : 'ok', { healed: r.healed, stillDamaged: r.stillDamaged });
      return r;
    }
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
