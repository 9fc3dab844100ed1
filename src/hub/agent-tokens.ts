// Agent tokens are checked during the session too, not only at connect: an agent whose
// token expires is disconnected at once (within the 2 s of this check), with an event.
import type { Db } from '../catalog/catalog.js';
import { hostsWithExpiredTokens } from '../catalog/host-tokens.js';
import { CLOSE } from '../protocol/errors.js';
import type { Level } from '../protocol/operator.js';

const CHECK_EVERY_S = 2;

export interface AgentTokenPort {
  db: Db;
  sessions: ReadonlyMap<string, { close(code: number, reason: string): void }>;
  iso(): string;
  event(level: Level, kind: string, host: string | null, message: string): void;
  audit(actor: string, action: string, target: string | null, outcome: string, details?: object): void;
}

export class AgentTokenWatch {
  private seconds = 0;
  constructor(private readonly hub: AgentTokenPort) {}

  /** Once a second, from the hub's clock tick. */
  tick(): void {
    if (++this.seconds % CHECK_EVERY_S !== 0 || this.hub.sessions.size === 0) return;
    for (const host of hostsWithExpiredTokens(this.hub.db, this.hub.iso())) {
      const s = this.hub.sessions.get(host);
      if (!s) continue;
      s.close(CLOSE.revoked, 'token expired');
      this.hub.audit(`agent:${host}`, 'agent.disconnect', host, 'token expired');
      this.hub.event('warning', 'agent.token.expired', host, `agent ${host} disconnected: its token expired`);
    }
  }
}
