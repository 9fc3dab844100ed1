// Damage news turned into what operators see: one event per host whose points became damaged
// (the `verify-failed` alarm fires on it) or were healed, and the changed points pushed.
import type { DamageNews } from '../store/damage.js';
import type { Broadcaster, HostRepo, Journal, PointRepo } from './ports.js';
import { pointView } from './wire.js';

export interface DamageWatchPorts {
  catalog: HostRepo & PointRepo;
  journal: Journal;
  feed: Broadcaster;
}

/** The host of each point, grouped: host name → point ids. */
function byHost(c: HostRepo & PointRepo, ids: number[]): Map<string | null, number[]> {
  const out = new Map<string | null, number[]>();
  for (const id of ids) {
    const p = c.point(id);
    const v = p && c.volumeById(p.volumeId);
    const h = v ? (c.hostById(v.hostId)?.name ?? null) : null;
    out.set(h, [...(out.get(h) ?? []), id]);
  }
  return out;
}

export function onDamageNews(p: DamageWatchPorts, n: DamageNews): void {
  const c = p.catalog;
  const first = n.found[0];
  const found = first ? `${n.found.length} chunk(s) failed their check (first: ${first.detail})` : 'a chunk is damaged';
  for (const [host, ids] of byHost(c, n.damagedPoints)) {
    p.journal.event('critical', 'store.damaged', host, `${found}; recovery point(s) ${ids.join(', ')} damaged until the next backup of those blocks or drc repair heals them`, { points: ids, chunks: n.found.map((f) => f.hash.slice(0, 16)) });
  }
  if (n.damagedPoints.length === 0 && n.found.length > 0) {
    p.journal.event('warning', 'store.damaged', null, `${found}; no recovery point relies on it`, { chunks: n.found.map((f) => f.hash.slice(0, 16)) });
  }
  for (const [host, ids] of byHost(c, n.clearedPoints)) {
    p.journal.event('info', 'store.healed', host, `${n.healed.length} damaged chunk(s) healed; recovery point(s) ${ids.join(', ')} no longer damaged`, { points: ids });
  }
  for (const id of [...n.damagedPoints, ...n.clearedPoints]) {
    const pt = c.point(id);
    if (pt) p.feed.broadcast({ type: 'point', point: pointView(c, pt) });
  }
}
