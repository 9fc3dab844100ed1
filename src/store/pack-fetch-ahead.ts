// Fetch-ahead for reads from a remote store: extents are handed out in plan order while the
// whole packs of the next ones are already downloading into the pack cache (several GETs in
// flight, one per pack), so a restore's workers find most packs cached when they reach them.
// Each pack fetched ahead is pinned in the cache until its last extent so far is handed out.
import type { PackCache } from './pack-cache.js';
import type { PlannedExtent } from './read-plan.js';

/** distinct packs downloading or cached ahead of the extents handed out */
export const PACKS_AHEAD = 8;

export interface ExtentSource {
  /** the next extent in plan order, or null when there are no more */
  next(): Promise<PlannedExtent | null>;
  /** stop fetching ahead and unpin what was fetched (call once the reads are over) */
  close(): void;
}

/** `next` as it is: a local store needs no fetching ahead. */
export function direct(next: () => Promise<PlannedExtent | null>): ExtentSource {
  return { next, close: () => undefined };
}

export function fetchAhead(next: () => Promise<PlannedExtent | null>, cache: PackCache, o: { packs?: number; signal?: AbortSignal } = {}): ExtentSource {
  const ahead = o.packs ?? PACKS_AHEAD;
  const buffer: PlannedExtent[] = [];
  /** per pack: extents buffered and the pin taken when its download was started */
  const packs = new Map<string, { left: number; pinned: Promise<boolean> }>();
  const waiting: (() => void)[] = [];
  let done = false;
  let closed = false;
  let pumping = false;

  const wake = () => {
    for (const w of waiting.splice(0)) w();
  };

  const unpin = (pinned: Promise<boolean>, name: string) => {
    // after the reader that was handed the extent has taken its own hold (same turn of the loop)
    void pinned.then((ok) => ok && setImmediate(() => cache.release(name)));
  };

  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (!done && !closed && packs.size < ahead) {
        const x = await next();
        if (!x) {
          done = true;
          break;
        }
        buffer.push(x);
        const p = packs.get(x.packName);
        if (p) p.left++;
        else packs.set(x.packName, { left: 1, pinned: cache.acquire(x.packName, o.signal).then(() => true, () => false) });
        wake();
      }
    } catch {
      done = true; // the plan failed: the restore learns of it from the plan itself
    } finally {
      pumping = false;
      wake();
    }
  };

  return {
    async next() {
      for (;;) {
        const x = buffer.shift();
        if (x) {
          const p = packs.get(x.packName)!;
          if (--p.left === 0) {
            packs.delete(x.packName);
            unpin(p.pinned, x.packName);
          }
          void pump();
          return x;
        }
        if (done || closed) return null;
        void pump();
        await new Promise<void>((r) => waiting.push(r));
      }
    },
    close() {
      closed = true;
      buffer.length = 0;
      for (const [name, p] of packs) unpin(p.pinned, name);
      packs.clear();
      wake();
    },
  };
}
