// The journal's retention: old events go; the audit log stays append-only for everything but
// the retention delete of entries older than the cutoff, which is itself audited.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';
import { MaintenanceRunsRepo } from '../../../src/catalog/maintenance-runs-repo.js';

let dir: string;
let catalog: Catalog;
let repo: MaintenanceRunsRepo;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-journal-'));
  catalog = new Catalog(path.join(dir, 'catalog.db'));
  repo = new MaintenanceRunsRepo(catalog.db);
  const j = catalog.repos.journal;
  for (const day of ['2024-01-01', '2024-06-01', '2025-05-01']) {
    j.audit(`${day}T00:00:00.000Z`, 'admin', 'hosts.add', 'h1', 'ok');
    j.addEvent(`${day}T00:00:00.000Z`, 'info', 'backup.succeeded', 'h1', 'ok');
  }
});

afterEach(() => {
  catalog.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('journal retention', () => {
  it('deletes the events older than the cutoff and keeps the rest', () => {
    expect(repo.pruneEvents('2024-12-01T00:00:00.000Z')).toBe(2);
    expect(catalog.repos.journal.recentEvents(10).map((e) => e.time)).toEqual(['2025-05-01T00:00:00.000Z']);
  });

  it('deletes only audit entries older than the cutoff and audits how many went', () => {
    expect(repo.pruneAudit('2024-03-01T00:00:00.000Z', { time: '2025-06-01T00:00:00.000Z', actor: 'maintenance' })).toBe(1);
    const rows = catalog.repos.journal.auditEntries();
    expect(rows.map((r) => r.time)).toEqual(['2024-06-01T00:00:00.000Z', '2025-05-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z']);
    expect(rows.at(-1)).toMatchObject({ actor: 'maintenance', action: 'audit.retention' });
    expect(JSON.parse(rows.at(-1)!.details)).toEqual({ removed: 1, olderThan: '2024-03-01T00:00:00.000Z' });
  });

  it('still refuses any other delete or update of the audit log, before and after a retention run', () => {
    expect(() => catalog.db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    repo.pruneAudit('2024-03-01T00:00:00.000Z', { time: '2025-06-01T00:00:00.000Z', actor: 'maintenance' });
    expect(() => catalog.db.prepare("DELETE FROM audit WHERE time < '2025-01-01'").run()).toThrow(/append-only/);
    expect(() => catalog.db.prepare("UPDATE audit SET actor = 'x'").run()).toThrow(/append-only/);
    expect(catalog.repos.journal.auditEntries()).toHaveLength(3);
  });
});
