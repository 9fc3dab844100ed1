// Prometheus text exposition of the hub's state: hosts and links, resources, recovery
// point age and RPO compliance, jobs, bytes in, the store, alarms and deliveries.
// The series are listed in docs/metrics.md.
import { LEVEL_ORDER } from '../alarms/rules.js';
import type { JobStatsRepo } from '../catalog/job-stats-repo.js';
import type { SqliteAlarmStore } from '../catalog/alarm-store.js';
import type { PointStatsRepo } from '../catalog/point-stats-repo.js';
import type { TierView } from '../protocol/operator.js';
import type { HubMonitoring } from './monitoring.js';
import type { AgentLinks, Clock, HostRepo, PointRepo } from './ports.js';

/** What /metrics reads. */
export interface MetricsPorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & { storeStats(): { bytesStored: number; bytesLogical: number; chunks: number; packs: number } };
  jobStats: Pick<JobStatsRepo, 'countsByKindAndState' | 'durations' | 'byteTotals'>;
  pointStats: Pick<PointStatsRepo, 'summary'>;
  alarmCounts: Pick<SqliteAlarmStore, 'countsByLevel' | 'deliveryCounts'>;
  monitoring: Pick<HubMonitoring, 'alarms' | 'telemetry' | 'backlogBytes'>;
  links: AgentLinks;
  tiers: TierView[];
}
import { meetsRpo, rpoStatus } from '../recovery/rpo.js';

type Sample = [labels: Record<string, string>, value: number];

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (l: Record<string, string>): string => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export function metricsText(p: MetricsPorts): string {
  const c = p.catalog;
  const now = p.clock.now();
  const hosts = c.hosts();
  const tel = p.monitoring.telemetry;
  const lines: string[] = [];
  const metric = (name: string, help: string, type: 'gauge' | 'counter', samples: Sample[]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labelText(labels)} ${Number.isFinite(v) ? v : 0}`);
  };
  const connected = (name: string): boolean => p.links.anyReady(name);

  metric('drc_up', 'The hub is running.', 'gauge', [[{}, 1]]);
  metric('drc_hosts', 'Protected hosts known to the hub.', 'gauge', [[{}, hosts.length]]);
  metric('drc_hosts_connected', 'Hosts whose agent is connected.', 'gauge', [[{}, hosts.filter((h) => connected(h.name)).length]]);
  metric('drc_host_link_up', 'Agent link state per host (1 connected).', 'gauge', hosts.map((h) => [{ host: h.name }, connected(h.name) ? 1 : 0]));
  metric('drc_host_agent_up', 'Agent link state per host and site (primary, or dr: on the recovered image).', 'gauge', hosts.flatMap((h) =>
    (['primary', 'dr'] as const).filter((site) => site === 'primary' || h.failedOver || p.links.site(h.name, site)).map((site): Sample => [{ host: h.name, site }, p.links.site(h.name, site)?.ready ? 1 : 0]),
  ));
  const links = hosts.map((h) => ({ host: h.name, l: tel.linkHealth(h.name, connected(h.name)) }));
  metric('drc_host_link_latency_seconds', 'Round trip of the last ping to the agent.', 'gauge', links.filter((x) => x.l.latencyMs !== null).map((x) => [{ host: x.host }, x.l.latencyMs! / 1000]));
  metric('drc_host_link_bandwidth_bytes_per_second', 'Link bandwidth measured from block transfers.', 'gauge', links.filter((x) => x.l.bandwidthBps !== null).map((x) => [{ host: x.host }, Math.round(x.l.bandwidthBps!)]));

  const samples = hosts.map((h) => ({ host: h.name, m: tel.metrics(h.name) })).filter((x) => x.m !== null);
  metric('drc_host_cpu_percent', 'CPU busy share reported by the agent.', 'gauge', samples.map((x) => [{ host: x.host }, x.m!.cpu]));
  metric('drc_host_memory_percent', 'Memory in use reported by the agent.', 'gauge', samples.map((x) => [{ host: x.host }, x.m!.memoryPercent]));
  metric('drc_host_disk_used_percent', 'Disk usage per mount reported by the agent.', 'gauge', samples.flatMap((x) => x.m!.disks.map((d): Sample => [{ host: x.host, mount: d.mount }, d.percent])));
  metric('drc_host_process_count', 'Running processes of each watched name.', 'gauge', samples.flatMap((x) => x.m!.processes.map((p): Sample => [{ host: x.host, process: p.name }, p.count])));

  const ages: Sample[] = [];
  const rpo: Sample[] = [];
  const compliant: Sample[] = [];
  const backlog: Sample[] = [];
  for (const h of hosts) {
    let newest: number | null = null;
    for (const v of c.volumesOf(h.id)) {
      const p = c.latestPoint(v.id);
      if (!p) continue;
      const t = Date.parse(p.time);
      ages.push([{ host: h.name, volume: v.name }, Math.round((now - t) / 1000)]);
      newest = newest === null ? t : Math.max(newest, t);
    }
    backlog.push([{ host: h.name }, p.monitoring.backlogBytes(h.name)]);
    const tier = p.tiers.find((t) => t.name === h.tier);
    if (!tier) continue;
    rpo.push([{ host: h.name, tier: tier.name }, tier.rpoSeconds]);
    compliant.push([{ host: h.name, tier: tier.name }, meetsRpo(rpoStatus({ lastPointAt: newest, rpoSeconds: tier.rpoSeconds }, now)) ? 1 : 0]);
  }
  metric('drc_last_point_age_seconds', 'Age of the newest recovery point per volume.', 'gauge', ages);
  metric('drc_host_rpo_seconds', 'Recovery point objective of the host\'s tier.', 'gauge', rpo);
  metric('drc_host_rpo_compliant', 'The newest point is within the RPO (1) or not (0).', 'gauge', compliant);
  metric('drc_rpo_compliance_ratio', 'Share of hosts with a tier that meet their RPO.', 'gauge', [[{}, compliant.length ? compliant.filter((s) => s[1] === 1).length / compliant.length : 1]]);
  metric('drc_host_backlog_bytes', 'Changed bytes not yet in a recovery point.', 'gauge', backlog);

  const jobs = p.jobStats.countsByKindAndState();
  metric('drc_jobs', 'Jobs by kind and state.', 'gauge', jobs.map((r) => [{ kind: r.kind, state: r.state }, r.n]));
  const durations = p.jobStats.durations();
  lines.push('# HELP drc_job_duration_seconds Run time of finished jobs.', '# TYPE drc_job_duration_seconds summary');
  for (const d of durations) {
    const l = labelText({ kind: d.kind, state: d.state });
    lines.push(`drc_job_duration_seconds_sum${l} ${Math.round(d.seconds * 1000) / 1000}`, `drc_job_duration_seconds_count${l} ${d.n}`);
  }
  const bytes = p.jobStats.byteTotals();
  metric('drc_bytes_received_total', 'Block bytes received from agents in committed volumes.', 'counter', [[{}, bytes.wire]]);
  metric('drc_bytes_stored_new_total', 'New (deduplicated, compressed) bytes written to the store.', 'counter', [[{}, bytes.fresh]]);

  const s = c.storeStats();
  metric('drc_store_bytes', 'Bytes in pack files.', 'gauge', [[{}, s.bytesStored]]);
  metric('drc_store_logical_bytes', 'Logical bytes referenced by recovery points.', 'gauge', [[{}, s.bytesLogical]]);
  metric('drc_store_chunks', 'Chunks in the index.', 'gauge', [[{}, s.chunks]]);
  metric('drc_store_packs', 'Pack files.', 'gauge', [[{}, s.packs]]);
  metric('drc_recovery_points', 'Recovery points in the catalog.', 'gauge', [[{}, p.pointStats.summary().n]]);

  const store = p.alarmCounts;
  const counts = store.countsByLevel();
  const open: Sample[] = LEVEL_ORDER.map((level) => [
    { level },
    counts.filter((r) => r.level === level && r.state !== 'resolved').reduce((a, r) => a + r.n, 0),
  ]);
  metric('drc_alarms_open', 'Open (firing or acknowledged) alarms by level.', 'gauge', open);
  metric('drc_alarms', 'Alarms by level and state, all time.', 'gauge', counts.map((r) => [{ level: r.level, state: r.state }, r.n]));
  metric('drc_alarm_deliveries_total', 'Notification attempts by channel and outcome.', 'counter', store.deliveryCounts().map((r) => [{ channel: r.channel, outcome: r.ok ? 'ok' : 'failed' }, r.n]));
  return lines.join('\n') + '\n';
}
