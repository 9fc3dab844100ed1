import { describe, expect, it } from 'vitest';
import { hostMatches, matchingHosts } from '../../../src/scheduler/targets.js';

const hosts = [
  { name: 'prod-web-01', tags: ['web', 'eu'] },
  { name: 'prod-db-01', tags: ['db'] },
  { name: 'dev-web-01', tags: ['web'] },
];

describe('schedule targets', () => {
  it('selects hosts by name glob', () => {
    expect(matchingHosts(['prod-*'], hosts).map((h) => h.name)).toEqual(['prod-web-01', 'prod-db-01']);
    expect(matchingHosts(['*-web-0?'], hosts).map((h) => h.name)).toEqual(['prod-web-01', 'dev-web-01']);
  });

  it('selects hosts by tag, and a host matches when any selector does', () => {
    expect(matchingHosts(['tag:db', 'dev-*'], hosts).map((h) => h.name)).toEqual(['prod-db-01', 'dev-web-01']);
    expect(hostMatches(['tag:e*'], hosts[0]!)).toBe(true);
  });

  it('treats glob metacharacters other than * and ? literally', () => {
    expect(hostMatches(['prod.web'], { name: 'prodxweb', tags: [] })).toBe(false);
  });
});
