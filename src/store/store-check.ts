// Whole-store checks a full verify runs besides reading chunks: every registered pack starts
// with the pack magic, and the catalog passes SQLite's own integrity check.
import type { BlockStore } from './block-store.js';
import { PACK_MAGIC } from './chunk-writer.js';

export function storeProblems(store: BlockStore): string[] {
  const out: string[] = [];
  // a remote store's packs are checked by their own reads; fetching each one here would cost a download
  const local = store.repo === null || store.repo.store.local;
  for (const name of local ? store.catalog.packNames() : []) {
    let head: Buffer;
    try {
      head = store.backend.read(name, 0, PACK_MAGIC.length);
    } catch (e) {
      out.push(`pack ${name} cannot be read: ${(e as Error).message}`);
      continue;
    }
    if (!head.equals(PACK_MAGIC)) out.push(`pack ${name} does not start with the pack header ${PACK_MAGIC.toString()}`);
  }
  for (const m of store.catalog.integrityCheck()) out.push(`catalog: ${m}`);
  return out;
}
