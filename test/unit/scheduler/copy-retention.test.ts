// A copy's keep: time and GFS rules per volume, and the lock time of an immutable copy.
import { describe, expect, it } from 'vitest';
import type { RetentionConfig } from '../../../src/config/types.js';
import { copyLockSeconds, keptByCopy, type CopyCandidate } from '../../../src/scheduler/copy-retention.js';

const rules = (r: Partial<RetentionConfig>): RetentionConfig => ({ keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, consolidateAfter: null, ...r });
const at = (iso: string) => Date.parse(iso);
const pts = (volume: string, times: string[]): CopyCandidate[] => times.map((t) => ({ key: `${volume}@${t}`, volume, time: at(t) }));

describe('a copy keeps', () => {
  const a = pts('h1/disk', ['2025-06-01T01:00:00Z', '2025-06-01T13:00:00Z', '2025-06-02T01:00:00Z', '2025-06-03T01:00:00Z']);
  const b = pts('h2/disk', ['2025-05-01T01:00:00Z']);
  const now = at('2025-06-03T02:00:00Z');

  it('every point when it has no keep rules', () => {
    expect(keptByCopy([...a, ...b], { within: null, rules: null, timezone: 'UTC' }, now).size).toBe(5);
  });

  it('the newest point of each day its daily rule counts, and each volume its own newest', () => {
    const kept = keptByCopy([...a, ...b], { within: null, rules: rules({ daily: 2 }), timezone: 'UTC' }, now);
    expect([...kept].sort()).toEqual(['h1/disk@2025-06-02T01:00:00Z', 'h1/disk@2025-06-03T01:00:00Z', 'h2/disk@2025-05-01T01:00:00Z']);
  });

  it('what its time or its rules keep', () => {
    const kept = keptByCopy(a, { within: 2 * 86_400, rules: rules({ keepLast: 1 }), timezone: 'UTC' }, now);
    expect([...kept].sort()).toEqual(['h1/disk@2025-06-01T13:00:00Z', 'h1/disk@2025-06-02T01:00:00Z', 'h1/disk@2025-06-03T01:00:00Z']);
  });
});

describe('an immutable copy locks each object', () => {
  it('for its keep time, else the longest span its rules keep, else a year', () => {
    expect(copyLockSeconds({ within: 3600, rules: rules({ yearly: 5 }) })).toBe(3600);
    expect(copyLockSeconds({ within: null, rules: rules({ daily: 14, monthly: 12 }) })).toBe(12 * 31 * 86_400);
    expect(copyLockSeconds({ within: null, rules: rules({ keepLast: 3 }) })).toBe(365 * 86_400);
  });
});
