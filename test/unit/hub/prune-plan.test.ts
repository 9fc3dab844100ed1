// How retention becomes a plan on the hub: which policy applies to a host, and which
// surviving points consolidation turns into synthetic fulls.
import { describe, expect, it } from 'vitest';
import type { HostRow, PointRow } from '../../../src/catalog/catalog.js';
import type { RetentionConfig, ScheduleConfig } from '../../../src/config/types.js';
import { consolidationPlan, policiesOf } from '../../../src/hub/prune.js';

const keep = (o: Partial<RetentionConfig>): RetentionConfig => ({ keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, consolidateAfter: null, ...o });
const host = (name: string, tags: string[] = []): HostRow => ({ id: 1, name, tags, tier: null, tokenHash: null, revoked: false, failedOver: false, createdAt: '' });
const schedule = (name: string, targets: string[], retention: RetentionConfig | null): ScheduleConfig => ({
  name, cron: '0 2 * * *', timezone: 'Europe/Berlin', priority: 5, targets, type: 'incremental', window: null, stopAtWindowEnd: false, retention,
});
/** points 1..n of one volume; `fulls` are full, the rest incremental on the previous one */
const chain = (n: number, fulls: number[] = [1]): PointRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i + 1, volumeId: 1, jobId: null, time: '', type: fulls.includes(i + 1) ? 'full' : 'incremental', parentId: fulls.includes(i + 1) ? null : i,
    size: 0, blockSize: 65536, blockCount: 0, changedBlocks: 0, bytesNew: 0, merkleRoot: '', verifiedAt: null, damaged: false, verifiedFraction: null, provenance: {}, changeRate: null, incompressibleShare: null, suspect: false, site: 'primary',
  }));

describe('retention policies per host', () => {
  const global = keep({ daily: 7 });

  it("uses the retention of every schedule that targets the host, in the schedule's zone", () => {
    const s = [schedule('nightly', ['prod-*'], keep({ daily: 3 })), schedule('weekly', ['tag:db'], keep({ weekly: 4 })), schedule('plain', ['*'], null)];
    expect(policiesOf(host('prod-db', ['db']), s, global).map((p) => [p.name, p.zone])).toEqual([['nightly', 'Europe/Berlin'], ['weekly', 'Europe/Berlin']]);
  });

  it('falls back to the global policy, and to none', () => {
    const s = [schedule('nightly', ['prod-*'], keep({ daily: 3 }))];
    expect(policiesOf(host('dev-1'), s, global).map((p) => p.name)).toEqual(['global']);
    expect(policiesOf(host('dev-1'), s, null)).toEqual([]);
  });
});

describe('consolidation plan', () => {
  it('turns every delta more than N away from its full into a synthetic full', () => {
    // F 2 3 4 5 6 7 with N = 2: 4 and 7 become fulls
    expect(consolidationPlan(chain(7), new Set(), 2)).toEqual([4, 7]);
  });

  it('counts depth after the deletions: merged deltas shorten the chain', () => {
    expect(consolidationPlan(chain(7), new Set([2, 3]), 2)).toEqual([6]);
  });

  it('restarts the count where a deleted base made its successor a full', () => {
    // F1 2 3 F4 5 6 7, F4 deleted, N = 1: 3 is consolidated; 5 is a full by the deletion, so 7 is next
    expect(consolidationPlan(chain(7, [1, 4]), new Set([4]), 1)).toEqual([3, 7]);
    // F1 deleted: 2 becomes the full
    expect(consolidationPlan(chain(4), new Set([1]), 1)).toEqual([4]);
  });

  it('does nothing without a consolidation policy', () => {
    expect(consolidationPlan(chain(20), new Set(), null)).toEqual([]);
  });
});
