// Recovered instances in the catalog: VMs a drill or failover booted and NBD mounts, with
// the pid, QMP socket and console a restarted hub needs to find them again. The table is
// created here when missing, so it does not take a migration number of its own.
import type { Db } from './catalog.js';
import { nn as num, ns as str, type Raw } from './columns.js';
import type { InstanceKind, InstanceState, InstanceView, PortForwardView } from '../protocol/recovery.js';

/** An instance as stored: its operator view without the derived fields, plus the power-on instant. */
export type InstanceRow = Omit<InstanceView, 'uptimeSeconds' | 'lastLines' | 'bindAddress'> & { poweredOnAt: number | null };

export type NewInstance = Omit<InstanceRow, 'id' | 'state' | 'stoppedAt' | 'bootMs'>;

function rowOf(r: Raw): InstanceRow {
  return {
    id: Number(r.id),
    kind: String(r.kind) as InstanceKind,
    host: String(r.host),
    runId: num(r.run_id),
    target: str(r.target),
    state: String(r.state) as InstanceState,
    pid: num(r.pid),
    accel: str(r.accel),
    network: String(r.network),
    ports: JSON.parse(String(r.ports)) as PortForwardView[],
    dir: String(r.dir),
    qmp: str(r.qmp),
    console: str(r.console),
    nbd: str(r.nbd),
    startedAt: String(r.started_at),
    poweredOnAt: num(r.powered_on_at),
    expiresAt: str(r.expires_at),
    stoppedAt: str(r.stopped_at),
    bootMs: num(r.boot_ms),
    disk: String(r.disk) as InstanceRow['disk'],
  };
}

export class InstanceStore {
  constructor(private readonly db: Db) {
    db.exec(`
CREATE TABLE IF NOT EXISTS recovered_instances (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  host TEXT NOT NULL,
  run_id INTEGER,
  target TEXT,
  state TEXT NOT NULL,
  pid INTEGER,
  accel TEXT,
  network TEXT NOT NULL,
  ports TEXT NOT NULL DEFAULT '[]',
  dir TEXT NOT NULL,
  qmp TEXT,
  console TEXT,
  nbd TEXT,
  started_at TEXT NOT NULL,
  powered_on_at INTEGER,
  expires_at TEXT,
  stopped_at TEXT,
  boot_ms INTEGER,
  disk TEXT NOT NULL DEFAULT 'local'
);
CREATE INDEX IF NOT EXISTS recovered_instances_state ON recovered_instances(state);`);
  }

  add(i: NewInstance): InstanceRow {
    const info = this.db
      .prepare(
        `INSERT INTO recovered_instances (kind, host, run_id, target, state, pid, accel, network, ports, dir, qmp, console, nbd, started_at, powered_on_at, expires_at, disk)
         VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(i.kind, i.host, i.runId, i.target, i.pid, i.accel, i.network, JSON.stringify(i.ports), i.dir, i.qmp, i.console, i.nbd, i.startedAt, i.poweredOnAt, i.expiresAt, i.disk);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): InstanceRow | undefined {
    const r = this.db.prepare('SELECT * FROM recovered_instances WHERE id = ?').get(id) as Raw | undefined;
    return r && rowOf(r);
  }

  list(all = false): InstanceRow[] {
    const sql = all ? 'SELECT * FROM recovered_instances ORDER BY id' : "SELECT * FROM recovered_instances WHERE state = 'running' ORDER BY id";
    return (this.db.prepare(sql).all() as Raw[]).map(rowOf);
  }

  ofRun(runId: number): InstanceRow[] {
    return (this.db.prepare('SELECT * FROM recovered_instances WHERE run_id = ? ORDER BY id').all(runId) as Raw[]).map(rowOf);
  }

  setStopped(id: number, state: 'stopped' | 'lost', at: string): void {
    this.db.prepare('UPDATE recovered_instances SET state = ?, stopped_at = ? WHERE id = ?').run(state, at, id);
  }

  setBoot(id: number, bootMs: number): void {
    this.db.prepare('UPDATE recovered_instances SET boot_ms = ? WHERE id = ?').run(bootMs, id);
  }

  setDisk(id: number, disk: InstanceRow['disk']): void {
    this.db.prepare('UPDATE recovered_instances SET disk = ? WHERE id = ?').run(disk, id);
  }

  setNbd(id: number, socket: string): void {
    this.db.prepare('UPDATE recovered_instances SET nbd = ? WHERE id = ?').run(socket, id);
  }

  setExpiry(runId: number, expiresAt: string | null): void {
    this.db.prepare("UPDATE recovered_instances SET expires_at = ? WHERE run_id = ? AND state = 'running'").run(expiresAt, runId);
  }
}
