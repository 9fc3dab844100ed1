// The catalog's hosts, served from a copy kept until the hosts table changes: every kind of
// change must show at the next read, whoever made it, and a rolled-back one must not.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';

const NOW = '2025-03-01T00:00:00.000Z';
let dir: string;
let file: string;
let c: Catalog;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-host-cache-'));
  file = path.join(dir, 'catalog.db');
  c = new Catalog(file);
  c.addHost('web-1', ['prod'], 'gold', 'hash-1', NOW);
  c.addHost('db-1', ['prod', 'db'], null, 'hash-2', NOW);
  expect(c.hosts().map((h) => h.name)).toEqual(['db-1', 'web-1']); // the copy is filled
});

afterEach(() => {
  c.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('catalog hosts, from the kept copy', () => {
  it('serves the same rows again while nothing changes', () => {
    expect(c.hosts()).toBe(c.hosts());
    expect(c.hostByName('web-1')).toBe(c.hosts()[1]);
    expect(c.hostById(c.hostByName('db-1')!.id)).toBe(c.hosts()[0]);
  });

  it('sees a host added, by name, by id and in the list', () => {
    const h = c.addHost('app-1', [], 'silver', 'hash-3', NOW);
    expect(c.hostByName('app-1')).toEqual(h);
    expect(c.hostById(h.id)?.name).toBe('app-1');
    expect(c.hosts().map((x) => x.name)).toEqual(['app-1', 'db-1', 'web-1']);
  });

  it('sees a revoked token, a new token, a failover and new configured tags', () => {
    const web = c.hostByName('web-1')!;
    c.revokeHost(web.id);
    expect(c.hostByName('web-1')?.revoked).toBe(true);
    c.setHostToken(web.id, 'hash-9');
    expect(c.hosts().find((h) => h.name === 'web-1')).toMatchObject({ revoked: false, tokenHash: 'hash-9' });
    c.setHostFailedOver(web.id, true);
    expect(c.hostById(web.id)?.failedOver).toBe(true);
    c.upsertConfiguredHost('web-1', ['staging'], null, NOW);
    expect(c.hostByName('web-1')).toMatchObject({ tags: ['staging'], tier: null });
  });

  it('sees changes made with plain SQL on the same connection, a host removed too', () => {
    c.db.prepare("UPDATE hosts SET tier = 'silver' WHERE name = 'db-1'").run();
    expect(c.hostByName('db-1')?.tier).toBe('silver');
    c.db.prepare("DELETE FROM hosts WHERE name = 'web-1'").run();
    expect(c.hostByName('web-1')).toBeUndefined();
    expect(c.hosts().map((h) => h.name)).toEqual(['db-1']);
  });

  it('sees changes another connection commits to the file', () => {
    const other = new Database(file);
    try {
      other.prepare("UPDATE hosts SET tags = '[\"dr\"]' WHERE name = 'web-1'").run();
      expect(c.hostByName('web-1')?.tags).toEqual(['dr']);
      other.prepare("INSERT INTO hosts (name, tags, tier, created_at) VALUES ('cache-1', '[]', NULL, ?)").run(NOW);
      expect(c.hosts().map((h) => h.name)).toEqual(['cache-1', 'db-1', 'web-1']);
    } finally {
      other.close();
    }
  });

  it('forgets a host whose insert was rolled back, though it was listed inside the transaction', () => {
    expect(() =>
      c.tx(() => {
        c.addHost('ghost', [], null, 'hash-4', NOW);
        expect(c.hosts().map((h) => h.name)).toContain('ghost');
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(c.hostByName('ghost')).toBeUndefined();
    expect(c.hosts().map((h) => h.name)).toEqual(['db-1', 'web-1']);
  });

  it('hands out frozen rows, so no caller can change what the others read', () => {
    const h = c.hostByName('db-1')!;
    expect(() => (h.tags as string[]).push('x')).toThrow(TypeError);
    expect(() => Object.assign(h, { tier: 'gold' })).toThrow(TypeError);
    expect(c.hostByName('db-1')).toMatchObject({ tags: ['prod', 'db'], tier: null });
  });
});
