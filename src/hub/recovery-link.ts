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
  jobs: Pick<JobRunner, 'cancel' | 'enqueue'>;
  log: HubLog;
}

export interface HubRecoveryOptions {
  targets: TargetConfig[];
  checks: CheckConfig[];
  plans: PlanConfig[];
  drillTtlSeconds: number;
  switchHook: SwitchHookConfig | null;
  /** the watchdog of restore steps (config maintenance.stall_timeout) */
  stallSeconds?: number;
  /** called once a step's start is in the catalog (a crash test kills the hub there) */
  onStepStarted?: (runKind: string, step: string) => void;
}

export const NO_RECOVERY_CONFIG: HubRecoveryOptions = { targets: [], checks: [], plans: [], drillTtlSeconds: 24 * 3600, switchHook: null };

const FINAL_SYNC_POLL_MS = 100;

/** Queue a final-sync backup (first in the queue, quiesced by the agent's hooks) and wait for its end. */
async function finalSync(p: RecoveryLinkPorts, host: string, signal: AbortSignal): Promise<{ jobId: number; error: string | null }> {
  const h = p.catalog.hostByName(host);
  if (!h) return { jobId: 0, error: `no host named ${host}` };
  const j = p.jobs.enqueue({ kind: 'backup', hostId: h.id, volumes: [], type: 'incremental', priority: 100, origin: 'failover final sync', params: { finalSync: true } });
  for (;;) {
    const row = p.catalog.job(j.id);
    if (!row) return { jobId: j.id, error: 'the job vanished' };
    if (row.state === 'succeeded') return { jobId: j.id, error: null };
    if (row.state === 'failed' || row.state === 'cancelled') return { jobId: j.id, error: row.error ?? row.state };
    if (row.state === 'queued' && p.live.host(host).link !== 'connected') {
      p.jobs.cancel(j.id, 'the source agent disconnected before its final sync');
      return { jobId: j.id, error: 'the source agent disconnected' };
    }
    if (signal.aborted) {
      p.jobs.cancel(j.id, 'the failover was interrupted');
      return { jobId: j.id, error: 'the failover was interrupted' };
    }
    await new Promise((r) => setTimeout(r, FINAL_SYNC_POLL_MS));
  }
}

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
      finalSync: (host, signal) => finalSync(p, host, signal),
      sourceVolumes: (host) => {
        const s = p.links.get(host);
        return s?.ready && !s.closed ? s.volumes : null;
      },
      unfence: (host, reason) => {
        const s = p.links.get(host);
        if (!s?.ready || s.closed) return false;
        s.send({ type: 'unfence', reason });
        return true;
      },
    },
    // its own copy: a config reload changes it in place
    { ...o },
  );
}
