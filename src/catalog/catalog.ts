// The SQLite catalog: one file, WAL, numbered migrations, typed queries.
import Database from 'better-sqlite3';
import { HostCache } from './host-cache.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export interface HostRow {
  id: number;
  name: string;
  tags: string[];
  tier: string | null;
  tokenHash: string | null;
  revoked: boolean;
  failedOver: boolean;
  createdAt: string;
}
export interface VolumeRow {
  id: number;
  hostId: number;
  name: string;
  path: string;
  size: number;
  blockSize: number;
}
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
}
export interface JobRow {
  id: number;
  kind: 'backup' | 'restore' | 'verify';
  hostId: number;
  volumes: string[];
  type: 'full' | 'incremental' | null;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  priority: number;
  origin: string;
  params: Record<string, unknown>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  bytesWire: number;
  bytesNew: number;
  bytesTotal: number;
}
export interface ChunkLocation {
  packId: number;
  packName: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: number;
}
export interface EventRow {
  id: number;
  time: string;
  level: 'info' | 'warning' | 'critical' | 'urgent';
  kind: string;
  host: string | null;
  message: string;
}

type Raw = Record<string, unknown>;
const s = (v: unknown): string => String(v);
const n = (v: unknown): number => Number(v);
const ns = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function hostOf(r: Raw): HostRow {
  return {
    id: n(r.id),
    name: s(r.name),
    tags: JSON.parse(s(r.tags)) as string[],
    tier: ns(r.tier),
    tokenHash: ns(r.token_hash),
    revoked: r.revoked === 1,
    failedOver: r.failed_over === 1,
    createdAt: s(r.created_at),
  };
}
/** a row the host cache shares between callers: frozen, tags too */
function sharedHostOf(r: Raw): HostRow {
  const h = hostOf(r);
  Object.freeze(h.tags);
  return Object.freeze(h);
}
function volumeOf(r: Raw): VolumeRow {
  return { id: n(r.id), hostId: n(r.host_id), name: s(r.name), path: s(r.path), size: n(r.size), blockSize: n(r.block_size) };
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
  };
}
function jobOf(r: Raw): JobRow {
  return {
    id: n(r.id),
    kind: s(r.kind) as JobRow['kind'],
    hostId: n(r.host_id),
    volumes: JSON.parse(s(r.volumes)) as string[],
    type: ns(r.type) as JobRow['type'],
    state: s(r.state) as JobRow['state'],
    priority: n(r.priority),
    origin: s(r.origin),
    params: JSON.parse(s(r.params)) as Record<string, unknown>,
    createdAt: s(r.created_at),
    startedAt: ns(r.started_at),
    finishedAt: ns(r.finished_at),
    error: ns(r.error),
    bytesWire: n(r.bytes_wire),
    bytesNew: n(r.bytes_new),
    bytesTotal: n(r.bytes_total),
  };
}

export class Catalog {
  readonly db: Db;
  private readonly hostCache: HostCache<HostRow>;

  private stmts = new Map<string, Database.Statement>();
  /** prepared statements are compiled once and reused */
  private stmt(sql: string): Database.Statement {
    let st = this.stmts.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.stmts.set(sql, st);
    }
    return st;
  }

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.hostCache = new HostCache(this.db, {
      all: () => (this.stmt('SELECT * FROM hosts ORDER BY name').all() as Raw[]).map(sharedHostOf),
      byName: (name) => {
        const r = this.stmt('SELECT * FROM hosts WHERE name = ?').get(name) as Raw | undefined;
        return r && sharedHostOf(r);
      },
      byId: (id) => {
        const r = this.stmt('SELECT * FROM hosts WHERE id = ?').get(id) as Raw | undefined;
        return r && sharedHostOf(r);
      },
    });
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    // by set, not by maximum: versions land out of order (3 before 2) on parallel branches
    const applied = new Set((this.stmt('SELECT version FROM schema_version').all() as { version: number }[]).map((r) => r.version));
    for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.stmt('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      })();
    }
  }

  schemaVersion(): number {
    return (this.stmt('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v;
  }

  close(): void {
    this.db.close();
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // hosts
  addHost(name: string, tags: string[], tier: string | null, tokenHash: string, now: string): HostRow {
    const info = this.db
      .prepare('INSERT INTO hosts (name, tags, tier, token_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(name, JSON.stringify(tags), tier, tokenHash, now);
    return this.hostById(Number(info.lastInsertRowid))!;
  }
  upsertConfiguredHost(name: string, tags: string[], tier: string | null, now: string): HostRow {
    const h = this.hostByName(name);
    if (!h) {
      this.stmt('INSERT INTO hosts (name, tags, tier, created_at) VALUES (?, ?, ?, ?)').run(name, JSON.stringify(tags), tier, now);
    } else {
      this.stmt('UPDATE hosts SET tags = ?, tier = ? WHERE id = ?').run(JSON.stringify(tags), tier, h.id);
    }
    return this.hostByName(name)!;
  }
  setHostToken(id: number, tokenHash: string): void {
    this.stmt('UPDATE hosts SET token_hash = ?, revoked = 0 WHERE id = ?').run(tokenHash, id);
  }
  revokeHost(id: number): void {
    this.stmt('UPDATE hosts SET revoked = 1 WHERE id = ?').run(id);
  }
  /** a failover fenced the host: backups are refused until an operator fails back */
  setHostFailedOver(id: number, failedOver: boolean): void {
    this.stmt('UPDATE hosts SET failed_over = ? WHERE id = ?').run(failedOver ? 1 : 0, id);
  }
  /** Hosts are read from a copy kept until the hosts table changes (host-cache.ts); the rows are frozen. */
  hostByName(name: string): HostRow | undefined {
    return this.hostCache.byName(name);
  }
  hostById(id: number): HostRow | undefined {
    return this.hostCache.byId(id);
  }
  hosts(): readonly HostRow[] {
    return this.hostCache.all();
  }

  // volumes
  /** A volume as an agent's hello describes it; an unchanged row is not written again (no fsync per reconnect). */
  upsertVolume(hostId: number, name: string, path: string, size: number, blockSize: number): VolumeRow {
    const old = this.volume(hostId, name);
    if (old && old.path === path && old.size === size && old.blockSize === blockSize) return old;
    this.db
      .prepare(
        `INSERT INTO volumes (host_id, name, path, size, block_size) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (host_id, name) DO UPDATE SET path = excluded.path, size = excluded.size, block_size = excluded.block_size`,
      )
      .run(hostId, name, path, size, blockSize);
    return this.volume(hostId, name)!;
  }
  volume(hostId: number, name: string): VolumeRow | undefined {
    const r = this.stmt('SELECT * FROM volumes WHERE host_id = ? AND name = ?').get(hostId, name) as Raw | undefined;
    return r && volumeOf(r);
  }
  volumeById(id: number): VolumeRow | undefined {
    const r = this.stmt('SELECT * FROM volumes WHERE id = ?').get(id) as Raw | undefined;
    return r && volumeOf(r);
  }
  volumesOf(hostId: number): VolumeRow[] {
    return (this.stmt('SELECT * FROM volumes WHERE host_id = ? ORDER BY name').all(hostId) as Raw[]).map(volumeOf);
  }

  // points
  points(volumeId: number): PointRow[] {
    return (this.stmt('SELECT * FROM points WHERE volume_id = ? ORDER BY id').all(volumeId) as Raw[]).map(pointOf);
  }
  allPoints(): PointRow[] {
    return (this.stmt('SELECT * FROM points ORDER BY id').all() as Raw[]).map(pointOf);
  }
  point(id: number): PointRow | undefined {
    const r = this.stmt('SELECT * FROM points WHERE id = ?').get(id) as Raw | undefined;
    return r && pointOf(r);
  }
  latestPoint(volumeId: number): PointRow | undefined {
    const r = this.stmt('SELECT * FROM points WHERE volume_id = ? ORDER BY id DESC LIMIT 1').get(volumeId) as Raw | undefined;
    return r && pointOf(r);
  }
  manifest(pointId: number): Buffer {
    return (this.stmt('SELECT manifest FROM points WHERE id = ?').get(pointId) as { manifest: Buffer }).manifest;
  }
  insertPoint(p: Omit<PointRow, 'id' | 'verifiedAt'>, manifest: Buffer): number {
    const info = this.db
      .prepare(
        `INSERT INTO points (volume_id, job_id, time, type, parent_id, size, block_size, block_count, changed_blocks, bytes_new, merkle_root, manifest)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(p.volumeId, p.jobId, p.time, p.type, p.parentId, p.size, p.blockSize, p.blockCount, p.changedBlocks, p.bytesNew, p.merkleRoot, manifest);
    return Number(info.lastInsertRowid);
  }

  // packs and chunks
  insertPack(name: string, size: number, now: string): number {
    return Number(this.stmt('INSERT INTO packs (name, size, created_at) VALUES (?, ?, ?)').run(name, size, now).lastInsertRowid);
  }
  packNames(): Set<string> {
    return new Set((this.stmt('SELECT name FROM packs').all() as { name: string }[]).map((r) => r.name));
  }
  hasChunk(hash: Buffer): boolean {
    return this.stmt('SELECT 1 FROM chunks WHERE hash = ?').get(hash) !== undefined;
  }
  insertChunk(hash: Buffer, packId: number, offset: number, length: number, rawLength: number, codec: number): void {
    this.db
      .prepare('INSERT OR IGNORE INTO chunks (hash, pack_id, offset, length, raw_length, codec) VALUES (?, ?, ?, ?, ?, ?)')
      .run(hash, packId, offset, length, rawLength, codec);
  }
  chunk(hash: Buffer): ChunkLocation | undefined {
    const r = this.db
      .prepare('SELECT c.pack_id, p.name, c.offset, c.length, c.raw_length, c.codec FROM chunks c JOIN packs p ON p.id = c.pack_id WHERE c.hash = ?')
      .get(hash) as Raw | undefined;
    return r && { packId: n(r.pack_id), packName: s(r.name), offset: n(r.offset), length: n(r.length), rawLength: n(r.raw_length), codec: n(r.codec) };
  }
  /** A fast lookup for many chunks at once (restore, verify): pack names resolved once. */
  chunkLocator(): (hash: Buffer) => ChunkLocation | undefined {
    const packs = new Map((this.stmt('SELECT id, name FROM packs').all() as { id: number; name: string }[]).map((r) => [r.id, r.name]));
    const st = this.db.prepare('SELECT pack_id, offset, length, raw_length, codec FROM chunks WHERE hash = ?').raw(true);
    return (hash) => {
      const r = st.get(hash) as [number, number, number, number, number] | undefined;
      if (!r) return undefined;
      return { packId: r[0], packName: packs.get(r[0])!, offset: r[1], length: r[2], rawLength: r[3], codec: r[4] };
    };
  }

  storeStats(): { bytesStored: number; chunks: number; packs: number; bytesLogical: number } {
    const p = this.stmt('SELECT COUNT(*) AS c, COALESCE(SUM(size),0) AS b FROM packs').get() as { c: number; b: number };
    const c = this.stmt('SELECT COUNT(*) AS c FROM chunks').get() as { c: number };
    const l = this.stmt('SELECT COALESCE(SUM(size),0) AS b FROM points').get() as { b: number };
    return { bytesStored: p.b, packs: p.c, chunks: c.c, bytesLogical: l.b };
  }

  // jobs
  insertJob(j: Pick<JobRow, 'kind' | 'hostId' | 'volumes' | 'type' | 'priority' | 'origin' | 'params' | 'createdAt'>): JobRow {
    const info = this.db
      .prepare('INSERT INTO jobs (kind, host_id, volumes, type, state, priority, origin, params, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(j.kind, j.hostId, JSON.stringify(j.volumes), j.type, 'queued', j.priority, j.origin, JSON.stringify(j.params), j.createdAt);
    return this.job(Number(info.lastInsertRowid))!;
  }
  job(id: number): JobRow | undefined {
    const r = this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as Raw | undefined;
    return r && jobOf(r);
  }
  recentJobs(limit: number): JobRow[] {
    return (this.stmt('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as Raw[]).map(jobOf).reverse();
  }
  jobsInState(state: JobRow['state']): JobRow[] {
    return (this.stmt('SELECT * FROM jobs WHERE state = ? ORDER BY id').all(state) as Raw[]).map(jobOf);
  }
  updateJob(id: number, fields: Partial<Pick<JobRow, 'state' | 'startedAt' | 'finishedAt' | 'error' | 'bytesWire' | 'bytesNew' | 'bytesTotal'>>): void {
    const cols: Record<string, string> = {
      state: 'state', startedAt: 'started_at', finishedAt: 'finished_at', error: 'error',
      bytesWire: 'bytes_wire', bytesNew: 'bytes_new', bytesTotal: 'bytes_total',
    };
    const keys = Object.keys(fields) as (keyof typeof fields)[];
    if (keys.length === 0) return;
    const sql = `UPDATE jobs SET ${keys.map((k) => `${cols[k]} = ?`).join(', ')} WHERE id = ?`;
    this.stmt(sql).run(...keys.map((k) => fields[k] ?? null), id);
  }
  jobCounts(sinceIso: string): { succeeded: number; failed: number } {
    const r = this.db
      .prepare(
        `SELECT SUM(state = 'succeeded') AS s, SUM(state = 'failed') AS f FROM jobs WHERE kind = 'backup' AND finished_at >= ?`,
      )
      .get(sinceIso) as { s: number | null; f: number | null };
    return { succeeded: r.s ?? 0, failed: r.f ?? 0 };
  }
  pointsOfJob(jobId: number): number[] {
    return (this.stmt('SELECT id FROM points WHERE job_id = ? ORDER BY id').all(jobId) as { id: number }[]).map((r) => r.id);
  }

  // events and audit
  addEvent(time: string, level: EventRow['level'], kind: string, host: string | null, message: string, data: object = {}): EventRow {
    const info = this.db
      .prepare('INSERT INTO events (time, level, kind, host, message, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(time, level, kind, host, message, JSON.stringify(data));
    return { id: Number(info.lastInsertRowid), time, level, kind, host, message };
  }
  recentEvents(limit: number): EventRow[] {
    return (this.stmt('SELECT id, time, level, kind, host, message FROM events ORDER BY id DESC LIMIT ?').all(limit) as EventRow[]).reverse();
  }
  eventsOfKind(kind: string): EventRow[] {
    return this.stmt('SELECT id, time, level, kind, host, message FROM events WHERE kind = ? ORDER BY id').all(kind) as EventRow[];
  }
  audit(time: string, actor: string, action: string, target: string | null, outcome: string, details: object = {}): void {
    this.db
      .prepare('INSERT INTO audit (time, actor, action, target, outcome, details) VALUES (?, ?, ?, ?, ?, ?)')
      .run(time, actor, action, target, outcome, JSON.stringify(details));
  }
  auditEntries(action?: string): { time: string; actor: string; action: string; target: string | null; outcome: string; details: string }[] {
    const sql = action ? 'SELECT * FROM audit WHERE action = ? ORDER BY id' : 'SELECT * FROM audit ORDER BY id';
    return (action ? this.stmt(sql).all(action) : this.stmt(sql).all()) as {
      time: string; actor: string; action: string; target: string | null; outcome: string; details: string;
    }[];
  }
}
