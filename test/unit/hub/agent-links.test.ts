// The agent links by host and site: the serving link follows the host's failover state, a
// new link replaces only its own site's, and a stale link's close forgets nothing.
import { describe, expect, it } from 'vitest';
import { SiteLinks } from '../../../src/hub/agent-links.js';
import { FakeLink } from './fake-ports.js';

class SitedLink extends FakeLink {
  constructor(host: string, readonly site: 'primary' | 'dr') {
    super(host);
  }
}

describe('agent links by host and site', () => {
  it('serves a failed-over host from its DR link and a host at home from its primary', () => {
    const away = new Set<string>();
    const links = new SiteLinks<SitedLink>((h) => away.has(h));
    const primary = new SitedLink('h1', 'primary');
    const dr = new SitedLink('h1', 'dr');
    links.set(primary);
    links.set(dr);
    expect(links.get('h1')).toBe(primary);
    away.add('h1');
    expect(links.get('h1')).toBe(dr);
    expect(links.site('h1', 'primary')).toBe(primary);
    expect(links.byHost('h1')).toEqual([primary, dr]);
    expect(links.size).toBe(2);
  });

  it('replaces only the link of the same site, and ignores the close of a replaced link', () => {
    const links = new SiteLinks<SitedLink>(() => false);
    const first = new SitedLink('h1', 'primary');
    const dr = new SitedLink('h1', 'dr');
    links.set(first);
    links.set(dr);
    const second = new SitedLink('h1', 'primary');
    expect(links.set(second)).toBe(first);
    expect(links.delete(first)).toBe(false);
    expect(links.byHost('h1')).toEqual([second, dr]);
    expect(links.delete(dr)).toBe(true);
    expect(links.anyReady('h1')).toBe(true);
    expect(links.delete(second)).toBe(true);
    expect([...links.values()]).toEqual([]);
    expect(links.anyReady('h1')).toBe(false);
  });
});
