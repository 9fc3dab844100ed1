// Volumes as agents describe them in every hello: registered once, changed when they change,
// and not written again (one fsync each) when an agent reconnects with the same volumes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';

let dir: string;
let c: Catalog;
let hostId: number;
const changes = (): number => (c.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-volumes-'));
  c = new Catalog(path.join(dir, 'catalog.db'));
  hostId = c.addHost('web-1', [], null, 'hash', '2025-03-01T00:00:00.000Z').id;
});

afterEach(() => {
  c.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('catalog volumes', () => {
  it('registers a volume, then leaves it unwritten when it is described again unchanged', () => {
    const v = c.upsertVolume(hostId, 'root', '/dev/vda', 1 << 30, 65536);
    const before = changes();
    expect(c.upsertVolume(hostId, 'root', '/dev/vda', 1 << 30, 65536)).toEqual(v);
    expect(changes()).toBe(before);
  });

  it('updates the same volume when its path, size or block size changes', () => {
    const v = c.upsertVolume(hostId, 'root', '/dev/vda', 1 << 30, 65536);
    expect(c.upsertVolume(hostId, 'root', '/dev/vdb', 1 << 30, 65536)).toEqual({ ...v, path: '/dev/vdb' });
    expect(c.upsertVolume(hostId, 'root', '/dev/vdb', 2 << 30, 65536)).toEqual({ ...v, path: '/dev/vdb', size: 2 << 30 });
    expect(c.upsertVolume(hostId, 'root', '/dev/vdb', 2 << 30, 1 << 20)).toEqual({ ...v, path: '/dev/vdb', size: 2 << 30, blockSize: 1 << 20 });
    expect(c.volumesOf(hostId)).toHaveLength(1);
  });
});
