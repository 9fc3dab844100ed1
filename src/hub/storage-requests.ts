// Operator API requests of the store backend and copies; each validated with a schema, then
// carried out, and audited.
import { bool, int, name, obj, optional } from '../protocol/schema.js';
import type { StoreView } from '../protocol/storage.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { Hub } from './hub.js';
import { paramsParser } from './params.js';

const schemas = {
  'store.info': obj({}),
  'copies.list': obj({}),
  'copies.run': obj({ name, wait: optional(bool), bytesPerSecond: optional(int(1)) }),
};

export const STORAGE_METHODS = new Set(Object.keys(schemas));

const parse = paramsParser(schemas);

export function storeView(hub: Hub): StoreView {
  const repo = hub.store.repo;
  const cache = hub.store.cache;
  const remote = repo !== null && !repo.store.local;
  return {
    type: remote ? 's3' : 'local',
    location: repo?.store.location ?? '',
    encrypted: repo?.encrypted ?? false,
    cache: remote && cache ? { bytes: cache.usedBytes, maxBytes: cache.maxBytes, packs: cache.packCount, hits: cache.hits, misses: cache.misses } : null,
  };
}

export async function handleStorageRequest(hub: Hub, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  switch (method) {
    case 'store.info':
      parse('store.info', params ?? {});
      return storeView(hub);
    case 'copies.list':
      parse('copies.list', params ?? {});
      return hub.copies.views();
    case 'copies.run': {
      const p = parse('copies.run', params);
      const run = hub.copies.run(p.name, client.actor, p.bytesPerSecond);
      hub.audit(client.actor, 'copies.run', p.name, 'started', { run: run.id });
      if (p.wait) {
        const r = await run.done;
        if (r.state === 'failed') throw new ApiError('store', r.error ?? `copy ${p.name} failed`);
        return r;
      }
      return hub.copies.views().find((c) => c.name === p.name)?.lastRun;
    }
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
