// The hub's agent links keyed by host and site: a host's primary agent and its DR-site agent
// (on the recovered image) are connected side by side, and the one that serves the host now
// is the DR agent while the host is failed over, the primary otherwise.
import type { AgentSite } from '../protocol/operator.js';
import type { AgentLink, AgentLinks } from './ports.js';

type Sited = AgentLink & { readonly site: AgentSite };

export class SiteLinks<S extends Sited> implements AgentLinks {
  private readonly hosts = new Map<string, Map<AgentSite, S>>();

  /** failedOver(host): the host runs at the DR site (from the catalog) */
  constructor(private readonly failedOver: (host: string) => boolean) {}

  /** The link that serves the host now: backups and continuous cycles go to it. */
  get(host: string): S | undefined {
    return this.site(host, this.failedOver(host) ? 'dr' : 'primary');
  }

  /** The link of one site of a host (failback writes through the primary's). */
  site(host: string, site: AgentSite): S | undefined {
    return this.hosts.get(host)?.get(site);
  }

  /** Both links of a host, primary first. */
  byHost(host: string): S[] {
    const m = this.hosts.get(host);
    return m ? (['primary', 'dr'] as const).map((s) => m.get(s)).filter((s): s is S => s !== undefined) : [];
  }

  /** Some link of the host is connected and past its hello. */
  anyReady(host: string): boolean {
    return this.byHost(host).some((s) => s.ready && !s.closed);
  }

  *values(): IterableIterator<S> {
    for (const m of this.hosts.values()) yield* m.values();
  }

  get size(): number {
    let n = 0;
    for (const m of this.hosts.values()) n += m.size;
    return n;
  }

  /** Register a link for its host and site; returns the link of that site it replaces. */
  set(s: S): S | undefined {
    let m = this.hosts.get(s.host);
    if (!m) this.hosts.set(s.host, (m = new Map()));
    const old = m.get(s.site);
    m.set(s.site, s);
    return old === s ? undefined : old;
  }

  /** Forget a link if it is still the one registered for its host and site. */
  delete(s: S): boolean {
    const m = this.hosts.get(s.host);
    if (m?.get(s.site) !== s) return false;
    m.delete(s.site);
    if (m.size === 0) this.hosts.delete(s.host);
    return true;
  }
}
