// The operators' live feed: updates go to every subscriber; a host's or the hub's view is
// rebuilt from the catalog and the live state when it is pushed.
import type { HubView, TierView, Update } from '../protocol/operator.js';
import type { LiveState } from './live.js';
import type { Broadcaster, HostRepo, PointRepo } from './ports.js';
import { hostView } from './wire.js';

export class HubFeed implements Broadcaster {
  constructor(
    private readonly send: (u: Update) => void,
    private readonly catalog: HostRepo & PointRepo,
    private readonly live: LiveState,
    private readonly tiers: TierView[],
    private readonly hubView: () => HubView,
  ) {}

  broadcast(u: Update): void {
    this.send(u);
  }

  pushHost(name: string): void {
    const h = this.catalog.hostByName(name);
    if (h) this.send({ type: 'host', host: hostView(this.catalog, this.live, this.tiers, h) });
  }

  pushHub(): void {
    this.send({ type: 'hub', hub: this.hubView() });
  }
}
