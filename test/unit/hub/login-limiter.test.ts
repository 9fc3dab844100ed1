// Rejected agent logins are recorded a few times a minute per source address, and the next
// recorded one says how many went unrecorded; other sources are not held back.
import { describe, expect, it } from 'vitest';
import { RejectedLogins } from '../../../src/hub/login-limiter.js';

describe('rejected agent logins', () => {
  it('records the first rejections of a window per source, then counts the rest into one summary', () => {
    const r = new RejectedLogins(60_000, 3);
    const t0 = 1_000_000;
    const recorded = Array.from({ length: 1200 }, (_, i) => r.note(`10.0.0.9:${40000 + i}`, t0 + i)).filter((n) => n.record);
    expect(recorded).toHaveLength(3);
    expect(r.note('10.0.0.7:5000', t0 + 2000)).toEqual({ record: true, suppressed: 0 });
    expect(r.note('10.0.0.9:1', t0 + 60_000)).toEqual({ record: true, suppressed: 1197 });
  });

  it('takes the source address from IPv4 and IPv6 remotes alike', () => {
    expect(RejectedLogins.sourceOf('127.0.0.1:5555')).toBe('127.0.0.1');
    expect(RejectedLogins.sourceOf('[::1]:5555')).toBe('::1');
  });
});
