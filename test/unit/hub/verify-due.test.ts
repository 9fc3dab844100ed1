// Which points maintenance verifies tonight: those with no full verify (nor their making)
// within verify_every, oldest first, at most the night's share.
import { describe, expect, it } from 'vitest';
import { pointsDueForVerify } from '../../../src/hub/maintenance-auto.js';

const DAY = 86_400_000;
const now = Date.parse('2025-06-30T03:30:00Z');
const at = (days: number) => new Date(now - days * DAY).toISOString();

describe('points due for a full verify', () => {
  const points = [
    { id: 1, time: at(90), verifiedAt: at(10), verifiedFraction: 1 }, // fully verified lately
    { id: 2, time: at(80), verifiedAt: at(2), verifiedFraction: 0.01 }, // only sampled: counts from its making
    { id: 3, time: at(40), verifiedAt: null, verifiedFraction: null },
    { id: 4, time: at(5), verifiedAt: null, verifiedFraction: null }, // young
    { id: 5, time: at(70), verifiedAt: at(45), verifiedFraction: 1 },
  ];

  it('takes the longest-unproven first and leaves the rest for the next nights', () => {
    expect(pointsDueForVerify(points, 30 * DAY, now, 2)).toEqual([2, 5]);
    expect(pointsDueForVerify(points, 30 * DAY, now, 10)).toEqual([2, 5, 3]);
  });

  it('verifies nothing when verify_every is 0 or the night has no share', () => {
    expect(pointsDueForVerify(points, 0, now, 10)).toEqual([]);
    expect(pointsDueForVerify(points, 30 * DAY, now, 0)).toEqual([]);
  });
});
