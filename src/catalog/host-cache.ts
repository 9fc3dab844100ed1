// The hosts table held in memory. It is read on nearly every tick (the job pump, alarm
// facts, schedules) and at every agent connect, and changes a few times a day, so a copy
// is kept until the table changes: any write to it through this connection (temporary
// triggers call back into JS) or through another one (PRAGMA data_version) drops the
// copy; the next list loads it again, and lookups by name or id read their one row until
// then (adding 500 hosts one by one must not reload the table 500 times). A copy is never
// filled inside a transaction: a rollback would leave it holding rows never committed.
import type Database from 'better-sqlite3';

/** How the cache reads the table; the rows are shared between callers, so these freeze them. */
export interface HostLoaders<Row> {
  all(): Row[];
  byName(name: string): Row | undefined;
  byId(id: number): Row | undefined;
}

export class HostCache<Row extends { id: number; name: string }> {
  private rows: readonly Row[] | null = null;
  private names = new Map<string, Row>();
  private ids = new Map<number, Row>();
  private dataVersion: unknown = null;
  private readonly version: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly load: HostLoaders<Row>,
  ) {
    db.function('drc_hosts_changed', () => {
      this.rows = null;
      return null;
    });
    for (const op of ['insert', 'update', 'delete']) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS drc_hosts_${op} AFTER ${op.toUpperCase()} ON main.hosts BEGIN SELECT drc_hosts_changed(); END`);
    }
    this.version = db.prepare('PRAGMA data_version').pluck();
  }

  /** Every host, in the loader's order. */
  all(): readonly Row[] {
    if (this.valid()) return this.rows!;
    const rows = Object.freeze(this.load.all());
    if (this.db.inTransaction) return rows;
    this.rows = rows;
    this.names = new Map(rows.map((r) => [r.name, r]));
    this.ids = new Map(rows.map((r) => [r.id, r]));
    return rows;
  }

  byName(name: string): Row | undefined {
    return this.valid() ? this.names.get(name) : this.load.byName(name);
  }

  byId(id: number): Row | undefined {
    return this.valid() ? this.ids.get(id) : this.load.byId(id);
  }

  /** the copy is there and no connection changed the table since it was read */
  private valid(): boolean {
    const v = this.version.get();
    if (v !== this.dataVersion) {
      this.dataVersion = v;
      this.rows = null;
    }
    return this.rows !== null;
  }
}
