// Host selectors shared by rules and channel routing: a name glob (`prod-*`, `web-0?`),
// `tag:NAME` or `tier:NAME`. An empty list selects every host.

export interface SelectableHost {
  name: string;
  tags: string[];
  tier: string | null;
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

export function matchesSelector(selector: string, h: SelectableHost): boolean {
  if (selector.startsWith('tag:')) return h.tags.includes(selector.slice(4));
  if (selector.startsWith('tier:')) return h.tier === selector.slice(5);
  return globToRegExp(selector).test(h.name);
}

/** Does any selector pick this host? `null` (an alarm about no host) matches only an empty list. */
export function selectsHost(selectors: string[], h: SelectableHost | null): boolean {
  if (selectors.length === 0) return true;
  if (h === null) return false;
  return selectors.some((s) => matchesSelector(s, h));
}
