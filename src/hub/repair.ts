// `drc repair [HOST]`: heal damaged chunks without waiting for the next backup. Connected
// agents whose volumes still hold a damaged chunk's block (same content) send it again; what
// no agent has is fetched from the copies. The hub checks every block's hash before storing
// it; a block that changed since is not used. Reports per chunk where it was healed from.
import { createHash } from 'node:crypto';
import { decompress } from 'zstd-napi';
import type { CopyConfig } from '../config/types.js';
import { CODEC_ZSTD, type BlockFrame } from '../protocol/frames.js';
import type { RepairChunkView, RepairView } from '../protocol/storage.js';
import type { BlockStore } from '../store/block-store.js';
import { chunksFromCopy, damagedChunkSites, healChunks, type DamagedChunkSites, type GoodChunk } from '../store/repair.js';
import { copyTarget, openPackStore } from '../store/registry.js';
import { OFFER_MAX_ENTRIES } from '../protocol/agent.js';
import { ApiError } from './api.js';
import type { AgentBlockReads } from './block-reads.js';
import type { HostRepo, Journal, PointRepo } from './ports.js';

export interface RepairPorts {
  catalog: HostRepo & PointRepo;
  store: BlockStore;
  links: { get(host: string): { ready: boolean; closed: boolean; blocks: AgentBlockReads } | undefined };
  copies: readonly CopyConfig[];
  journal: Pick<Journal, 'event'>;
}

interface Site {
  host: string;
  volume: string;
  volumeId: number;
  index: number;
}

/** A block read from an agent, checked against its hash: the good chunk, or null. */
function goodBlock(f: BlockFrame): GoodChunk | null {
  let raw: Buffer;
  try {
    raw = f.codec === CODEC_ZSTD ? decompress(f.payload) : f.payload;
  } catch {
    return null;
  }
  if (raw.length !== f.rawLength) return null;
  const hash = createHash('sha256').update(raw).digest();
  return { hash, codec: f.codec, rawLength: f.rawLength, payload: Buffer.from(f.payload) };
}

export async function repairDamage(p: RepairPorts, hostName?: string): Promise<RepairView> {
  const c = p.catalog;
  p.store.damage.settle(); // damage found a moment ago marks its points first
  let only: Set<number> | null = null;
  if (hostName !== undefined) {
    const h = c.hostByName(hostName);
    if (!h) throw new ApiError('not-found', `no host named ${hostName}`);
    only = new Set(c.volumesOf(h.id).map((v) => v.id));
  }
  const siteOf = (s: { volumeId: number; index: number }): Site | null => {
    const v = c.volumeById(s.volumeId);
    const h = v && c.hostById(v.hostId);
    return v && h ? { host: h.name, volume: v.name, volumeId: v.id, index: s.index } : null;
  };
  const chunks: (DamagedChunkSites & { at: Site[] })[] = damagedChunkSites(p.store)
    .filter((d) => only === null || d.sites.some((s) => only!.has(s.volumeId)))
    .map((d) => ({ ...d, at: d.sites.map(siteOf).filter((s): s is Site => s !== null) }));
  const wanted = new Set(chunks.map((d) => d.hex));
  const from = new Map<string, { kind: 'agent' | 'copy'; source: string }>();
  const problems: string[] = [];

  // 1. agents: per host volume, the blocks that hold a damaged chunk
  const reads = new Map<string, { host: string; volume: string; indices: Map<number, string> }>();
  for (const d of chunks) {
    for (const s of d.at) {
      const key = `${s.host}\0${s.volume}`;
      const r = reads.get(key) ?? { host: s.host, volume: s.volume, indices: new Map<number, string>() };
      r.indices.set(s.index, d.hex);
      reads.set(key, r);
    }
  }
  const got = new Map<string, GoodChunk>();
  for (const r of reads.values()) {
    const link = p.links.get(r.host);
    if (!link || !link.ready || link.closed) {
      problems.push(`agent ${r.host} is not connected`);
      continue;
    }
    const indices = [...r.indices].filter(([, hex]) => !got.has(hex)).map(([i]) => i);
    for (let k = 0; k < indices.length; k += OFFER_MAX_ENTRIES) {
      try {
        await link.blocks.read(r.volume, indices.slice(k, k + OFFER_MAX_ENTRIES), (f) => {
          const g = goodBlock(f);
          const hex = g?.hash.toString('hex');
          if (!g || !hex || !wanted.has(hex) || got.has(hex)) return;
          got.set(hex, g);
          from.set(hex, { kind: 'agent', source: `${r.host}/${r.volume} block ${f.blockIndex}` });
        });
      } catch (e) {
        problems.push(`${r.host}/${r.volume}: ${(e as Error).message}`);
        break;
      }
    }
  }
  const healed = new Set((await healChunks(p.store, [...got.values()])).map((h) => h.toString('hex')));

  // 2. copies: what no agent had
  for (const copy of p.copies) {
    const left = chunks.filter((d) => !healed.has(d.hex) && p.store.damage.has(d.hash));
    if (left.length === 0) break;
    let target;
    try {
      target = openPackStore(copyTarget(copy));
      const good = await chunksFromCopy(p.store, target, left.map((d) => d.hash));
      for (const g of good) from.set(g.hash.toString('hex'), { kind: 'copy', source: `copy ${copy.name}` });
      for (const h of await healChunks(p.store, good)) healed.add(h.toString('hex'));
    } catch (e) {
      problems.push(`copy ${copy.name}: ${(e as Error).message}`);
    } finally {
      target?.close();
    }
  }
  p.store.damage.settle(); // the points' damaged flags are current when the answer arrives

  const out: RepairChunkView[] = chunks.map((d) => {
    const first = d.at[0] ?? null;
    const src = from.get(d.hex);
    const ok = healed.has(d.hex) && src !== undefined;
    const why = `still damaged: no connected agent still holds the block with this content${p.copies.length ? ' and no copy has it' : ' and no copies are configured'}`;
    return {
      chunk: d.hex.slice(0, 16),
      host: first?.host ?? null,
      volume: first?.volume ?? null,
      block: first?.index ?? null,
      healedFrom: ok ? src.kind : null,
      source: ok ? src.source : null,
      detail: ok ? `healed from ${src.source}` : d.at.length === 0 ? 'no recovery point relies on it: nothing to heal' : why,
    };
  });
  const n = out.filter((x) => x.healedFrom).length;
  // a chunk no point relies on harms no restore: it does not count as still damaged
  const view: RepairView = { chunks: out, healed: n, stillDamaged: chunks.filter((d, i) => d.at.length > 0 && !out[i]!.healedFrom).length };
  if (out.length) {
    const level = view.stillDamaged ? 'warning' : 'info';
    p.journal.event(level, 'store.repaired', hostName ?? null, `repair: ${n} of ${out.length} damaged chunk(s) healed${view.stillDamaged ? `; ${view.stillDamaged} still damaged` : ''}${problems.length ? ` (${[...new Set(problems)].slice(0, 3).join('; ')})` : ''}`, { healed: n, stillDamaged: view.stillDamaged });
  }
  return view;
}
