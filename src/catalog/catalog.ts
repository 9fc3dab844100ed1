// The SQLite catalog: one file, WAL, numbered migrations, and one repository per aggregate
// (catalog.repos). The methods below delegate to the repositories for the callers not yet
// moved to them; new code takes the repository it needs.
import { InstanceStore } from './instance-store.js';
import Database from 'better-sqlite3';
import { SqliteAlarmStore } from './alarm-store.js';
import { AuditRepo } from './audit-repo.js';
import { OperatorsRepo } from './operators-repo.js';
import { Statements, type Db } from './columns.js';
import { CopyRecords, PointObjects } from './copy-store.js';
import { ChangeRepo } from './change-repo.js';
import { DamageRepo } from './damage-repo.js';
import { HostsRepo, type HostRow, type VolumeRow } from './hosts-repo.js';
import { JobsRepo, type JobProgress, type JobRow, type NewJob } from './jobs-repo.js';
import { JobStatsRepo } from './job-stats-repo.js';
import { JournalRepo, type AuditRow, type EventRow } from './journal-repo.js';
import { MetricStore } from './metric-store.js';
import { MIGRATIONS } from './migrations.js';
import { PointStatsRepo } from './point-stats-repo.js';
import { PointsRepo, type ChunkLocation, type NewPointRow, type PointRow, type PointSite, type StoreStats } from './points-repo.js';
import { QueueStore } from './queue-store.js';
import { SqliteRunStore } from './runs-repo.js';
import { ScheduleStore } from './schedule-store.js';
import { StoreMaintenance } from './store-maintenance.js';
import { TokenExpiryRepo } from './token-expiry-repo.js';

export type { Db } from './columns.js';
export type { HostRow, VolumeRow } from './hosts-repo.js';
export type { JobRow } from './jobs-repo.js';
export type { AuditRow, EventRow } from './journal-repo.js';
export type { ChunkLocation, PointMarks, PointRow, PointSite } from './points-repo.js';

/** The repositories of one catalog, sharing its connection. */
export interface CatalogRepos {
  hosts: HostsRepo;
  points: PointsRepo;
  jobs: JobsRepo;
  queue: QueueStore;
  runs: SqliteRunStore;
  alarms: SqliteAlarmStore;
  journal: JournalRepo;
  schedules: ScheduleStore;
  maintenance: StoreMaintenance;
  jobStats: JobStatsRepo;
  pointStats: PointStatsRepo;
  tokens: TokenExpiryRepo;
  damage: DamageRepo;
  /** change rate, incompressible share and suspect mark per point */
  change: ChangeRepo;
  operators: OperatorsRepo;
  /** the audit log read by time and host (written through journal) */
  auditLog: AuditRepo;
  copies: CopyRecords;
  pointObjects: PointObjects;
  instances: InstanceStore;
}

export class Catalog {
  /** the connection, for the callers not yet moved to a repository */
  readonly db: Db;
  readonly repos: CatalogRepos;
  private readonly st: Statements;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.st = new Statements(this.db);
    this.migrate();
    this.repos = {
      hosts: new HostsRepo(this.st),
      points: new PointsRepo(this.st),
      jobs: new JobsRepo(this.st),
      queue: new QueueStore(this.db),
      runs: new SqliteRunStore(this.db),
      alarms: new SqliteAlarmStore(this.db),
      journal: new JournalRepo(this.st),
      schedules: new ScheduleStore(this.db),
      maintenance: new StoreMaintenance(this.db),
      jobStats: new JobStatsRepo(this.db),
      pointStats: new PointStatsRepo(this.db),
      tokens: new TokenExpiryRepo(this.db),
      damage: new DamageRepo(this.db),
      change: new ChangeRepo(this.db),
      operators: new OperatorsRepo(this.db),
      auditLog: new AuditRepo(this.db),
      copies: new CopyRecords(this.db),
      pointObjects: new PointObjects(this.db),
      instances: new InstanceStore(this.db),
    };
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    // by set, not by maximum: versions land out of order (3 before 2) on parallel branches
    const applied = new Set((this.st.get('SELECT version FROM schema_version').all() as { version: number }[]).map((r) => r.version));
    for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.st.get('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      })();
    }
  }

  /** Metric history written in `parts` slices of the hosts (metric-store.ts); the caller owns its flushing. */
  metricStore(parts = 1): MetricStore {
    return new MetricStore(this.db, parts);
  }

  /** SQLite's own check of the catalog file: empty when it is sound. */
  integrityCheck(): string[] {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
  }

  schemaVersion(): number {
    return (this.st.get('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v;
  }

  close(): void {
    this.db.close();
  }

  /** names of the copies that hold a point (repos.copies) */
  copiesOfPoint(pointId: number): string[] {
    return this.repos.copies.copiesOf(pointId);
  }

  /** `fn` in one transaction: every repository write inside it commits or none does. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // hosts and volumes (repos.hosts)
  addHost(name: string, tags: string[], tier: string | null, tokenHash: string, now: string): HostRow {
    return this.repos.hosts.add(name, tags, tier, tokenHash, now);
  }
  upsertConfiguredHost(name: string, tags: string[], tier: string | null, now: string): HostRow {
    return this.repos.hosts.upsertConfigured(name, tags, tier, now);
  }
  setHostToken(id: number, tokenHash: string): void {
    this.repos.hosts.setToken(id, tokenHash);
  }
  revokeHost(id: number): void {
    this.repos.hosts.revoke(id);
  }
  setHostFailedOver(id: number, failedOver: boolean): void {
    this.repos.hosts.setFailedOver(id, failedOver);
  }
  hostByName(name: string): HostRow | undefined {
    return this.repos.hosts.byName(name);
  }
  hostById(id: number): HostRow | undefined {
    return this.repos.hosts.byId(id);
  }
  hosts(): readonly HostRow[] {
    return this.repos.hosts.all();
  }
  upsertVolume(hostId: number, name: string, path: string, size: number, blockSize: number): VolumeRow {
    return this.repos.hosts.upsertVolume(hostId, name, path, size, blockSize);
  }
  volume(hostId: number, name: string): VolumeRow | undefined {
    return this.repos.hosts.volume(hostId, name);
  }
  volumeById(id: number): VolumeRow | undefined {
    return this.repos.hosts.volumeById(id);
  }
  volumesOf(hostId: number): VolumeRow[] {
    return this.repos.hosts.volumesOf(hostId);
  }

  // points and the chunk index (repos.points)
  points(volumeId: number): PointRow[] {
    return this.repos.points.ofVolume(volumeId);
  }
  allPoints(): PointRow[] {
    return this.repos.points.all();
  }
  point(id: number): PointRow | undefined {
    return this.repos.points.get(id);
  }
  latestPointAt(volumeId: number, site: PointSite): PointRow | undefined {
    return this.repos.points.latestAt(volumeId, site);
  }
  latestPoint(volumeId: number): PointRow | undefined {
    return this.repos.points.latest(volumeId);
  }
  manifest(pointId: number): Buffer {
    return this.repos.points.manifest(pointId);
  }
  insertPoint(p: NewPointRow, manifest: Buffer): number {
    return this.repos.points.insert(p, manifest);
  }
  pointsOfJob(jobId: number): number[] {
    return this.repos.points.ofJob(jobId);
  }
  insertPack(name: string, size: number, now: string): number {
    return this.repos.points.insertPack(name, size, now);
  }
  packNames(): Set<string> {
    return this.repos.points.packNames();
  }
  hasChunk(hash: Buffer): boolean {
    return this.repos.points.hasChunk(hash);
  }
  chunksPresent(hashes: readonly Buffer[]): Set<string> {
    return this.repos.points.chunksPresent(hashes);
  }
  insertChunk(hash: Buffer, packId: number, offset: number, length: number, rawLength: number, codec: number): void {
    this.repos.points.insertChunk(hash, packId, offset, length, rawLength, codec);
  }
  chunk(hash: Buffer): ChunkLocation | undefined {
    return this.repos.points.chunk(hash);
  }
  chunkLocator(): (hash: Buffer) => ChunkLocation | undefined {
    return this.repos.points.chunkLocator();
  }
  storeStats(): StoreStats {
    return this.repos.points.stats();
  }

  // jobs (repos.jobs)
  insertJob(j: NewJob): JobRow {
    return this.repos.jobs.insert(j);
  }
  job(id: number): JobRow | undefined {
    return this.repos.jobs.get(id);
  }
  recentJobs(limit: number): JobRow[] {
    return this.repos.jobs.recent(limit);
  }
  jobsInState(state: JobRow['state']): JobRow[] {
    return this.repos.jobs.inState(state);
  }
  updateJob(id: number, fields: JobProgress): void {
    this.repos.jobs.update(id, fields);
  }
  jobCounts(sinceIso: string): { succeeded: number; failed: number } {
    return this.repos.jobs.backupCounts(sinceIso);
  }

  // events and audit (repos.journal)
  addEvent(time: string, level: EventRow['level'], kind: string, host: string | null, message: string, data: object = {}): EventRow {
    return this.repos.journal.addEvent(time, level, kind, host, message, data);
  }
  recentEvents(limit: number): EventRow[] {
    return this.repos.journal.recentEvents(limit);
  }
  eventsOfKind(kind: string): EventRow[] {
    return this.repos.journal.eventsOfKind(kind);
  }
  audit(time: string, actor: string, action: string, target: string | null, outcome: string, details: object = {}): void {
    this.repos.journal.audit(time, actor, action, target, outcome, details);
  }
  auditEntries(action?: string): AuditRow[] {
    return this.repos.journal.auditEntries(action);
  }
}
