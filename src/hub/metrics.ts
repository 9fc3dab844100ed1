// Prometheus text exposition of the hub's state.
import type { Hub } from './hub.js';

export function metricsText(hub: Hub): string {
  const c = hub.catalog;
  const hosts = c.hosts();
  const connected = hosts.filter((h) => hub.sessions.has(h.name)).length;
  const s = c.storeStats();
  const lines: string[] = [];
  const metric = (name: string, help: string, type: string, values: [string, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of values) lines.push(`${name}${labels} ${v}`);
  };
  metric('drc_hosts', 'Protected hosts known to the hub.', 'gauge', [['', hosts.length]]);
  metric('drc_hosts_connected', 'Hosts whose agent is connected.', 'gauge', [['', connected]]);
  metric('drc_host_link_up', 'Agent link state per host (1 connected).', 'gauge', hosts.map((h) => [`{host="${h.name}"}`, hub.sessions.has(h.name) ? 1 : 0]));
  const now = hub.now();
  const ages: [string, number][] = [];
  for (const h of hosts) {
    for (const v of c.volumesOf(h.id)) {
      const p = c.latestPoint(v.id);
      if (p) ages.push([`{host="${h.name}",volume="${v.name}"}`, Math.round((now - Date.parse(p.time)) / 1000)]);
    }
  }
  metric('drc_last_point_age_seconds', 'Age of the newest recovery point per volume.', 'gauge', ages);
  const counts = c.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: string; n: number }[];
  metric('drc_jobs', 'Jobs by state.', 'gauge', counts.map((r) => [`{state="${r.state}"}`, r.n]));
  metric('drc_store_bytes', 'Bytes in pack files.', 'gauge', [['', s.bytesStored]]);
  metric('drc_store_logical_bytes', 'Logical bytes referenced by recovery points.', 'gauge', [['', s.bytesLogical]]);
  metric('drc_store_chunks', 'Chunks in the index.', 'gauge', [['', s.chunks]]);
  return lines.join('\n') + '\n';
}
