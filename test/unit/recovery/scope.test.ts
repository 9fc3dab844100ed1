// Which point of each volume a drill or failover uses, and the guard that keeps recovered
// images off protected volumes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';
import { RecoveryError } from '../../../src/recovery/errors.js';
import { resolveScope } from '../../../src/recovery/scope.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-scope-'));
let c: Catalog;
const cfg = { plans: [{ name: 'stack', groups: [{ hosts: ['db'], wait: 30 }, { hosts: ['web'], wait: 0 }], checks: ['port'] }], checks: [{ name: 'port', type: 'tcp' as const, address: { host: '127.0.0.1', port: 1 }, timeout: 1, hosts: ['db'] }], tiers: [{ name: 'gold', rpoSeconds: 900, rtoSeconds: 3600 }] };
const image = (h: string, v: string) => `/dr/${h}-${v}.img`;

function point(volumeId: number, minute: number): number {
  return c.insertPoint(
    { volumeId, jobId: null, time: `2025-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`, type: 'full', parentId: null, size: 1024, blockSize: 65536, blockCount: 1, changedBlocks: 1, bytesNew: 1024, merkleRoot: 'r' },
    Buffer.alloc(0),
  );
}

beforeAll(() => {
  c = new Catalog(path.join(dir, 'catalog.db'));
  const db = c.addHost('db', [], 'gold', 'x', '2025-03-01T00:00:00Z');
  const web = c.addHost('web', [], null, 'x', '2025-03-01T00:00:00Z');
  const data = c.upsertVolume(db.id, 'data', '/dev/vdb', 1024, 65536);
  const log = c.upsertVolume(db.id, 'log', '/dev/vdc', 1024, 65536);
  const root = c.upsertVolume(web.id, 'root', '/dr/web-root.img', 1024, 65536);
  point(data.id, 0); // 1
  point(data.id, 10); // 2
  point(data.id, 20); // 3
  point(log.id, 5); // 4
  point(log.id, 15); // 5
  point(root.id, 1); // 6
  c.db.prepare('UPDATE points SET verified_at = ? WHERE id = 2').run('2025-03-01T11:00:00Z');
});

afterAll(() => {
  c.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('resolveScope', () => {
  it('uses the latest verified point by default and the latest unverified one when none is verified', () => {
    const s = resolveScope(c, cfg, { hosts: ['db'] }, image);
    expect(s.hosts[0]!.points.map((p) => [p.volume, p.pointId, p.verified])).toEqual([['data', 2, true], ['log', 5, false]]);
    expect(s.hosts[0]).toMatchObject({ tier: 'gold', rtoSeconds: 3600, rpoSeconds: 900, checks: ['port'] });
  });

  it('pins every other volume to the newest point at or before an explicit point', () => {
    const s = resolveScope(c, cfg, { hosts: ['db'], point: '2' }, image);
    expect(s.hosts[0]!.points.map((p) => p.pointId)).toEqual([2, 4]);
  });

  it('follows a plan: its groups in boot order with their waits, and only its checks', () => {
    const s = resolveScope(c, { ...cfg, plans: [{ ...cfg.plans[0]!, groups: [{ hosts: ['db'], wait: 30 }] }] }, { plan: 'stack' }, (h, v) => `/other/${h}-${v}.img`);
    expect(s.groups).toEqual([{ waitSeconds: 30, hosts: [{ name: 'db', volumes: ['data', 'log'] }] }]);
    expect(s.plan).toBe('stack');
  });

  it('refuses a target image that is the path of a protected volume', () => {
    const e = (() => {
      try {
        resolveScope(c, cfg, { hosts: ['web'] }, image);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(RecoveryError);
    expect((e as RecoveryError).code).toBe('refused');
  });

  it('names the missing host or point in a not-found error', () => {
    expect(() => resolveScope(c, cfg, { hosts: ['nope'] }, image)).toThrow('no host named nope');
    expect(() => resolveScope(c, cfg, { hosts: ['db'], point: '2020-01-01T00:00:00Z' }, image)).toThrow(/db\/data has no recovery point at or before/);
  });
});
