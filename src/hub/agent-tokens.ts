// Agent tokens are checked during the session too, not only at connect: an agent whose
// token expires is disconnected at once (within the second of this check), with an event.
import type { TokenExpiryRepo } from '../catalog/token-expiry-repo.js';
import { CLOSE } from '../protocol/errors.js';
import type { AgentLink, Clock, Journal } from './ports.js';

export interface AgentTokenPorts {
  tokens: Pick<TokenExpiryRepo, 'expiredBy'>;
  sessions: { readonly size: number; byHost(host: string): Pick<AgentLink, 'close'>[] };
  clock: Clock;
  journal: Journal;
}

export class AgentTokenWatch {
  constructor(private readonly p: AgentTokenPorts) {}

  /** Once a second, from the hub's clock tick. */
  tick(): void {
    if (this.p.sessions.size === 0) return;
    for (const host of this.p.tokens.expiredBy(this.p.clock.iso())) {
      // the token is the host's: its primary agent and its DR site's agent both go
      const links = this.p.sessions.byHost(host);
      if (links.length === 0) continue;
      for (const s of links) s.close(CLOSE.revoked, 'token expired');
      this.p.journal.audit(`agent:${host}`, 'agent.disconnect', host, 'token expired');
      this.p.journal.event('warning', 'agent.token.expired', host, `agent ${host} disconnected: its token expired`);
    }
  }
}
