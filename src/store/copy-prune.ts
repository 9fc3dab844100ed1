// Delete from a copy the points its keep rules let go: each point's object first, then the
// packs no other point the copy holds needs, then the catalog's record of them (so an
// interrupted prune is finished by the next one). What an immutable copy still retains is
// left alone until its retention ends, and said so.
import { CopyRecords, type HeldPointRow } from '../catalog/copy-store.js';
import type { Catalog } from '../catalog/catalog.js';
import { StoreError } from './errors.js';
import { OBJECT, type PackStore } from './pack-store.js';

export interface PruneOutcome {
  points: number;
  packs: number;
  /** points past their keep that an immutable copy retains, and the earliest end of it */
  retained: number;
  retainedUntil: string | null;
  /** an immutable copy refused a delete: pruning stopped there (one line) */
  stopped: string | null;
}

export async function pruneCopy(
  catalog: Catalog,
  target: PackStore,
  spec: { name: string; immutable: boolean },
  drop: readonly Omit<HeldPointRow, 'packs'>[],
  o: { now: () => number; signal?: AbortSignal },
): Promise<PruneOutcome> {
  const records = new CopyRecords(catalog.db);
  const out: PruneOutcome = { points: 0, packs: 0, retained: 0, retainedUntil: null, stopped: null };
  for (const h of [...drop].sort((a, b) => a.time.localeCompare(b.time))) {
    if (o.signal?.aborted) throw new StoreError(`copy ${spec.name}: cancelled`);
    if (h.retainUntil !== null && Date.parse(h.retainUntil) > o.now()) {
      out.retained++;
      if (out.retainedUntil === null || h.retainUntil < out.retainedUntil) out.retainedUntil = h.retainUntil;
      continue;
    }
    const packs = records.packsOnlyOf(spec.name, h.object);
    try {
      await target.delete(h.object, o.signal);
      for (const p of packs) await target.delete(OBJECT.pack(p), o.signal);
    } catch (e) {
      const why = `copy ${spec.name}: cannot delete point ${h.host}/${h.volume} ${h.time} from ${target.location}: ${(e as Error).message.split('\n')[0]}`;
      if (!spec.immutable) throw new StoreError(why);
      out.stopped = why;
      break;
    }
    catalog.tx(() => records.forgetHeld(spec.name, h.object, new Date(o.now()).toISOString()));
    out.points++;
    out.packs += packs.length;
  }
  return out;
}

/** One line for the run: what was pruned and what an immutable copy keeps until when. */
export function pruneNote(p: PruneOutcome): string | null {
  const parts: string[] = [];
  if (p.retained) parts.push(`${p.retained} point(s) past keep stay until their retention ends (the first on ${p.retainedUntil})`);
  if (p.stopped) parts.push(`pruning stopped: ${p.stopped}`);
  return parts.length ? parts.join('; ') : null;
}
