// Host selectors of schedules and retention: globs over host names (`prod-*`, `web-0?`) and
// `tag:NAME` (the tag may be a glob too). A host matches when any selector does.

export interface TargetHost {
  name: string;
  tags: readonly string[];
}

const compiled = new Map<string, RegExp>();

function globRegExp(glob: string): RegExp {
  let re = compiled.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    compiled.set(glob, re);
  }
  return re;
}

export function selectorMatches(selector: string, host: TargetHost): boolean {
  if (selector.startsWith('tag:')) {
    const re = globRegExp(selector.slice(4));
    return host.tags.some((t) => re.test(t));
  }
  return globRegExp(selector).test(host.name);
}

export function hostMatches(selectors: readonly string[], host: TargetHost): boolean {
  return selectors.some((s) => selectorMatches(s, host));
}

export function matchingHosts<H extends TargetHost>(selectors: readonly string[], hosts: readonly H[]): H[] {
  return hosts.filter((h) => hostMatches(selectors, h));
}
