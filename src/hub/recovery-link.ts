// Wires the recovery service (drills, failovers, reports) to the hub: catalog, store,
// events and audit, live run updates, fencing agents and cancelling their backups.
import type { CheckConfig, PlanConfig, SwitchHookConfig, TargetConfig } from '../config/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { TierView } from '../protocol/operator.js';
import { RecoveryService } from '../recovery/service.js';
import type { BlockStore } from '../store/block-store.js';
import type { JobRunner } from './jobs.js';
import type { LiveState } from './live.js';
import type { AgentLinks, Broadcaster, Clock, HubLog, Journal } from './ports.js';

/** What the recovery service is wired to. */
export interface RecoveryLinkPorts {
  catalog: Catalog;
  store: BlockStore;
  dataDir: string;
  hubName: string;
  tiers: TierView[];
  clock: Clock;
  journal: Journal;
  feed: Broadcaster;
  links: AgentLinks;
  live: LiveState;
  jobs: Pick<JobRunner, 'cancel'>;
  log: HubLog;
}

export interface HubRecoveryOptions {
  targets: TargetConfig[];
  checks: CheckConfig[];
  plans: PlanConfig[];
  drillTtlSeconds: number;
  switchHook: SwitchHookConfig | null;
}

export const NO_RECOVERY_CONFIG: HubRecoveryOptions = { targets: [], checks: [], plans: [], drillTtlSeconds: 24 * 3600, switchHook: null };

export function recoveryServiceOf(p: RecoveryLinkPorts, o: HubRecoveryOptions = NO_RECOVERY_CONFIG): RecoveryService {
  return new RecoveryService(
    {
      catalog: p.catalog,
      runs: p.catalog.repos.runs,
      store: p.store,
      dataDir: p.dataDir,
      hubName: p.hubName,
      tiers: p.tiers,
      clock: { now: () => p.clock.now() },
      event: (level, kind, host, message, data) => void p.journal.event(level, kind, host, message, data),
      audit: (actor, action, target, outcome, details) => p.journal.audit(actor, action, target, outcome, details),
      broadcastRun: (run) => p.feed.broadcast({ type: 'run', run }),
      fence: (host, reason) => {
        const s = p.links.get(host);
        if (!s?.ready || s.closed) return false;
        s.send({ type: 'fence', reason });
        return true;
      },
      link: (host) => p.live.host(host).link,
      cancelBackups: (host) => {
        const h = p.catalog.hostByName(host);
        if (!h) return [];
        const jobs = [...p.catalog.jobsInState('queued'), ...p.catalog.jobsInState('running')].filter((j) => j.hostId === h.id && j.kind === 'backup');
        for (const j of jobs) p.jobs.cancel(j.id);
        return jobs.map((j) => j.id);
      },
      pushHost: (host) => p.feed.pushHost(host),
      log: (level, message) => p.log(level, message),
    },
    o,
  );
}
