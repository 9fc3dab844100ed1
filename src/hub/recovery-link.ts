// Wires the recovery service (drills, failovers, reports) to the hub: catalog, store,
// events and audit, live run updates, fencing agents and cancelling their backups.
import type { CheckConfig, PlanConfig, SwitchHookConfig, TargetConfig } from '../config/types.js';
import { RecoveryService } from '../recovery/service.js';
import type { Hub } from './hub.js';

export interface HubRecoveryOptions {
  targets: TargetConfig[];
  checks: CheckConfig[];
  plans: PlanConfig[];
  drillTtlSeconds: number;
  switchHook: SwitchHookConfig | null;
}

export const NO_RECOVERY_CONFIG: HubRecoveryOptions = { targets: [], checks: [], plans: [], drillTtlSeconds: 24 * 3600, switchHook: null };

export function recoveryServiceOf(hub: Hub, o: HubRecoveryOptions = NO_RECOVERY_CONFIG): RecoveryService {
  return new RecoveryService(
    {
      catalog: hub.catalog,
      runs: hub.catalog.repos.runs,
      store: hub.store,
      dataDir: hub.o.dataDir,
      hubName: hub.o.name,
      tiers: hub.o.tiers,
      clock: { now: () => hub.now() },
      event: (level, kind, host, message, data) => void hub.event(level, kind, host, message, data),
      audit: (actor, action, target, outcome, details) => hub.audit(actor, action, target, outcome, details),
      broadcastRun: (run) => hub.broadcast({ type: 'run', run }),
      fence: (host, reason) => {
        const s = hub.sessions.get(host);
        if (!s?.ready || s.closed) return false;
        s.send({ type: 'fence', reason });
        return true;
      },
      link: (host) => hub.live.host(host).link,
      cancelBackups: (host) => {
        const h = hub.catalog.hostByName(host);
        if (!h) return [];
        const jobs = [...hub.catalog.jobsInState('queued'), ...hub.catalog.jobsInState('running')].filter((j) => j.hostId === h.id && j.kind === 'backup');
        for (const j of jobs) hub.jobs.cancel(j.id);
        return jobs.map((j) => j.id);
      },
      pushHost: (host) => hub.pushHost(host),
      log: (level, message) => hub.o.log(level, message),
    },
    o,
  );
}
