// Recovery points and the chunk index in the catalog: the points of each volume in chain
// order with their manifests, the packs, and where each chunk lives (hash -> pack, offset).
import { n, nn, ns, s, type Raw, type Statements } from './columns.js';

export interface PointRow {
  id: number;
  volumeId: number;
  jobId: number | null;
  time: string;
  type: 'full' | 'incremental';
  parentId: number | null;
  size: number;
  blockSize: number;
  blockCount: number;
  changedBlocks: number;
  bytesNew: number;
  merkleRoot: string;
  verifiedAt: string | null;
  /** relies on a chunk that failed its hash or is missing (damage.ts) */
  damaged: boolean;
  /** share of the point's chunks its last passing verify read (1 = full) */
  verifiedFraction: number | null;
  provenance: PointMarks;
  /** where it was taken: the primary site, or the DR site while the host is failed over */
  site: PointSite;
  /** blocks whose content was new to the store / all blocks (null: not measured) */
  changeRate: number | null;
  /** share of those new blocks that did not compress */
  incompressibleShare: number | null;
  /** its change stands far outside its volume's baseline (change-baseline.ts) */
  suspect: boolean;
}
export type PointSite = 'primary' | 'dr';
/** What recovery has proven about a point besides verify (kept as JSON on the point). */
export interface PointMarks {
  /** `by`: the job or run that restored it, e.g. "job 12", "drill run 3" */
  restored?: { time: string; by: string };
  booted?: { time: string; run: number };
  appChecked?: { time: string; run: number };
  drilled?: { time: string; run: number };
  copies?: { target: string; time: string }[];
}
/** A point as committed: the marks start empty. */
export type NewPointRow = Omit<PointRow, 'id' | 'verifiedAt' | 'damaged' | 'verifiedFraction' | 'provenance' | 'site' | 'changeRate' | 'incompressibleShare' | 'suspect'> & { site?: PointSite };
export interface ChunkLocation {
  packId: number;
  packName: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: number;
}
export interface StoreStats {
  bytesStored: number;
  chunks: number;
  packs: number;
  bytesLogical: number;
}

function pointOf(r: Raw): PointRow {
  return {
    id: n(r.id),
    volumeId: n(r.volume_id),
    jobId: r.job_id === null ? null : n(r.job_id),
    time: s(r.time),
    type: s(r.type) as PointRow['type'],
    parentId: r.parent_id === null ? null : n(r.parent_id),
    size: n(r.size),
    blockSize: n(r.block_size),
    blockCount: n(r.block_count),
    changedBlocks: n(r.changed_blocks),
    bytesNew: n(r.bytes_new),
    merkleRoot: s(r.merkle_root),
    verifiedAt: ns(r.verified_at),
    damaged: n(r.damaged ?? 0) === 1,
    verifiedFraction: r.verified_fraction === null || r.verified_fraction === undefined ? null : n(r.verified_fraction),
    provenance: marksOf(r.provenance),
    site: r.site === 'dr' ? 'dr' : 'primary',
    changeRate: nn(r.change_rate),
    incompressibleShare: nn(r.incompressible_share),
    suspect: n(r.suspect ?? 0) === 1,
  };
}

function marksOf(v: unknown): PointMarks {
  if (typeof v !== 'string') return {};
  try {
    const j: unknown = JSON.parse(v);
    return j && typeof j === 'object' ? (j as PointMarks) : {};
  } catch {
    return {};
  }
}

/** hashes per lookup statement (an offer holds 64 blocks) */
const PRESENT_BATCH = 64;
const PRESENT_SQL = `SELECT hash FROM chunks WHERE hash IN (${new Array(PRESENT_BATCH).fill('?').join(', ')})`;

export class PointsRepo {
  constructor(private readonly st: Statements) {}

  /** The volume's points, oldest first: a chain's parents come before their children. */
  ofVolume(volumeId: number): PointRow[] {
    return (this.st.get('SELECT * FROM points WHERE volume_id = ? ORDER BY id').all(volumeId) as Raw[]).map(pointOf);
  }
  all(): PointRow[] {
    return (this.st.get('SELECT * FROM points ORDER BY id').all() as Raw[]).map(pointOf);
  }
  get(id: number): PointRow | undefined {
    const r = this.st.get('SELECT * FROM points WHERE id = ?').get(id) as Raw | undefined;
    return r && pointOf(r);
  }
  latest(volumeId: number): PointRow | undefined {
    const r = this.st.get('SELECT * FROM points WHERE volume_id = ? ORDER BY id DESC LIMIT 1').get(volumeId) as Raw | undefined;
    return r && pointOf(r);
  }
  /** the newest point of the volume taken at one site: the base of that site's next incremental */
  latestAt(volumeId: number, site: PointSite): PointRow | undefined {
    const r = this.st.get('SELECT * FROM points WHERE volume_id = ? AND site = ? ORDER BY id DESC LIMIT 1').get(volumeId, site) as Raw | undefined;
    return r && pointOf(r);
  }
  ofJob(jobId: number): number[] {
    return (this.st.get('SELECT id FROM points WHERE job_id = ? ORDER BY id').all(jobId) as { id: number }[]).map((r) => r.id);
  }
  manifest(pointId: number): Buffer {
    return (this.st.get('SELECT manifest FROM points WHERE id = ?').get(pointId) as { manifest: Buffer }).manifest;
  }
  insert(p: NewPointRow, manifest: Buffer): number {
    const info = this.st
      .get(
        `INSERT INTO points (volume_id, job_id, time, type, parent_id, size, block_size, block_count, changed_blocks, bytes_new, merkle_root, manifest, site)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(p.volumeId, p.jobId, p.time, p.type, p.parentId, p.size, p.blockSize, p.blockCount, p.changedBlocks, p.bytesNew, p.merkleRoot, manifest, p.site ?? 'primary');
    return Number(info.lastInsertRowid);
  }

  insertPack(name: string, size: number, now: string): number {
    return Number(this.st.get('INSERT INTO packs (name, size, created_at) VALUES (?, ?, ?)').run(name, size, now).lastInsertRowid);
  }
  packNames(): Set<string> {
    return new Set((this.st.get('SELECT name FROM packs').all() as { name: string }[]).map((r) => r.name));
  }
  hasChunk(hash: Buffer): boolean {
    return this.st.get('SELECT 1 FROM chunks WHERE hash = ?').get(hash) !== undefined;
  }
  /** Which of these chunks are indexed (hex hashes), in one query. */
  /** Which of the hashes the index holds (hex): one statement per PRESENT_BATCH hashes, bound as blobs. */
  chunksPresent(hashes: readonly Buffer[]): Set<string> {
    const out = new Set<string>();
    if (hashes.length === 0) return out;
    const st = this.st.get(PRESENT_SQL);
    const args = new Array<Buffer>(PRESENT_BATCH);
    for (let k = 0; k < hashes.length; k += PRESENT_BATCH) {
      // a short last batch repeats its first hash (IN ignores the repeats)
      for (let i = 0; i < PRESENT_BATCH; i++) args[i] = hashes[k + i] ?? hashes[k]!;
      for (const r of st.all(...args) as { hash: Buffer }[]) out.add(r.hash.toString('hex'));
    }
    return out;
  }
  /** A chunk already indexed keeps its first location. */
  insertChunk(hash: Buffer, packId: number, offset: number, length: number, rawLength: number, codec: number): void {
    this.st
      .get('INSERT OR IGNORE INTO chunks (hash, pack_id, offset, length, raw_length, codec) VALUES (?, ?, ?, ?, ?, ?)')
      .run(hash, packId, offset, length, rawLength, codec);
  }
  chunk(hash: Buffer): ChunkLocation | undefined {
    const r = this.st
      .get('SELECT c.pack_id, p.name, c.offset, c.length, c.raw_length, c.codec FROM chunks c JOIN packs p ON p.id = c.pack_id WHERE c.hash = ?')
      .get(hash) as Raw | undefined;
    return r && { packId: n(r.pack_id), packName: s(r.name), offset: n(r.offset), length: n(r.length), rawLength: n(r.raw_length), codec: n(r.codec) };
  }
  /** A fast lookup for many chunks at once (restore, verify): pack names resolved once. */
  chunkLocator(): (hash: Buffer) => ChunkLocation | undefined {
    const packs = new Map((this.st.get('SELECT id, name FROM packs').all() as { id: number; name: string }[]).map((r) => [r.id, r.name]));
    // its own statement: raw mode would change the shared one
    const st = this.st.db.prepare('SELECT pack_id, offset, length, raw_length, codec FROM chunks WHERE hash = ?').raw(true);
    return (hash) => {
      const r = st.get(hash) as [number, number, number, number, number] | undefined;
      if (!r) return undefined;
      return { packId: r[0], packName: packs.get(r[0])!, offset: r[1], length: r[2], rawLength: r[3], codec: r[4] };
    };
  }

  stats(): StoreStats {
    const p = this.st.get('SELECT COUNT(*) AS c, COALESCE(SUM(size),0) AS b FROM packs').get() as { c: number; b: number };
    const c = this.st.get('SELECT COUNT(*) AS c FROM chunks').get() as { c: number };
    const l = this.st.get('SELECT COALESCE(SUM(size),0) AS b FROM points').get() as { b: number };
    return { bytesStored: p.b, packs: p.c, chunks: c.c, bytesLogical: l.b };
  }
}
