import { describe, expect, it } from 'vitest';
import { judgeChange, type ChangeFacts } from '../../../src/recovery/change-baseline.js';
import { lastClean, type TrustFacts } from '../../../src/recovery/trust.js';

const week = (rate: number, share: number): ChangeFacts[] => [0.9, 1, 1.1, 1, 0.95].map((k) => ({ changeRate: rate * k, incompressibleShare: share }));

describe('suspicious change against a volume baseline', () => {
  it('flags a text volume of which 30% is suddenly rewritten with data that does not compress', () => {
    const v = judgeChange({ changeRate: 0.31, incompressibleShare: 0.97 }, week(0.04, 0));
    expect(v.suspect).toBe(true);
    expect(v.reason).toMatch(/30% of the disk rewritten with data that does not compress \(baseline 0%\)/);
  });

  it('does not flag a volume whose normal changes are random data when 30% of it is rewritten with random data', () => {
    expect(judgeChange({ changeRate: 0.3, incompressibleShare: 1 }, week(0.04, 1)).suspect).toBe(false);
  });

  it('does not flag a large change of text, however sudden', () => {
    expect(judgeChange({ changeRate: 0.6, incompressibleShare: 0.02 }, week(0.04, 0)).suspect).toBe(false);
  });

  it('does not flag a few incompressible blocks below 5% of the disk', () => {
    expect(judgeChange({ changeRate: 0.03, incompressibleShare: 1 }, week(0.01, 0)).suspect).toBe(false);
  });

  it('does not flag a volume of random changes whose history is mostly idle points', () => {
    const idle = Array.from({ length: 12 }, () => ({ changeRate: 0, incompressibleShare: 0 }));
    expect(judgeChange({ changeRate: 0.3, incompressibleShare: 1 }, [...idle, ...week(0.04, 1)]).suspect).toBe(false);
  });

  it('judges nothing before the volume has three points with changes', () => {
    const idle = Array.from({ length: 5 }, () => ({ changeRate: 0, incompressibleShare: 0 }));
    const v = judgeChange({ changeRate: 0.5, incompressibleShare: 1 }, [...idle, ...week(0.04, 0).slice(0, 2)]);
    expect(v).toEqual({ suspect: false, reason: 'baseline of 2 point(s) with changes; 3 needed' });
  });
});

describe('last clean point with a suspect one', () => {
  const clean: TrustFacts = { damaged: false, fullyVerified: true, restored: false };
  it('is the newest clean point before the newest suspect point, even when later points are verified', () => {
    const pts: (TrustFacts & { id: number })[] = [
      { id: 1, ...clean },
      { id: 2, ...clean },
      { id: 3, ...clean, suspect: true },
      { id: 4, ...clean },
    ];
    expect(lastClean(pts, (p) => p)?.id).toBe(2);
  });
});
