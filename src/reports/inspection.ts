// The daily inspection as one report (Markdown, HTML or JSON): health of the hub and the
// agents, task failures and delays, open alarms, links, credentials near expiry, storage
// and growth, the last verify per host and the hosts outside their RPO — what an operator
// checks every morning, for a cron job or a morning mail.
import type { AlarmView, InspectionView, JobView, Snapshot } from '../protocol/operator.js';
import { formatBytes, longDuration } from '../format/human.js';
import { overviewFigures, type OverviewFigures } from './overview-figures.js';

export interface InspectionReport {
  title: string;
  generatedAt: string;
  hub: { name: string; version: string; startedAt: string; agentsUrl: string };
  /** one line per thing that needs attention; empty when all is well */
  findings: string[];
  figures: OverviewFigures;
  agents: { host: string; link: string; lastSeen: string | null; agentVersion: string | null; tier: string | null }[];
  failedTasks: { id: number; kind: string; host: string; finishedAt: string | null; error: string | null }[];
  waitingTasks: { id: number; kind: string; host: string; createdAt: string; waitReason: string | null }[];
  openAlarms: { id: number; level: string; rule: string; host: string | null; state: string; firedAt: string; message: string }[];
  badLinks: InspectionView['badLinks'];
  expiringCredentials: InspectionView['expiringCredentials'];
  lastVerify: { host: string; verifiedAt: string | null; points: number }[];
  outsideRpo: InspectionView['delayedHosts'];
}

const task = (j: JobView) => ({ id: j.id, kind: j.kind, host: j.host, finishedAt: j.finishedAt, error: j.error });

export function buildInspection(s: Snapshot, ins: InspectionView, alarms: AlarmView[], now: Date = new Date()): InspectionReport {
  const figures = overviewFigures(s, ins);
  const openAlarms = alarms.filter((a) => a.state !== 'resolved');
  const waiting = s.jobs.filter((j) => j.state === 'queued' && j.waitReason);
  const verified = new Map<string, { at: string | null; points: number }>();
  for (const p of s.points) {
    const v = verified.get(p.host) ?? { at: null, points: 0 };
    v.points++;
    if (p.verifiedAt && (v.at === null || p.verifiedAt > v.at)) v.at = p.verifiedAt;
    verified.set(p.host, v);
  }
  const findings: string[] = [];
  const away = s.hosts.filter((h) => h.link !== 'connected' && !h.revoked && !h.failedOver);
  if (away.length) findings.push(`${away.length} agent(s) not connected: ${away.map((h) => h.name).join(', ')}`);
  if (ins.failedTasks.length) findings.push(`${ins.failedTasks.length} failed task(s) in the last 24 h`);
  if (ins.delayedHosts.length) findings.push(`${ins.delayedHosts.length} host(s) outside their RPO: ${ins.delayedHosts.map((h) => h.host).join(', ')}`);
  const serious = openAlarms.filter((a) => a.level === 'critical' || a.level === 'urgent');
  if (serious.length) findings.push(`${serious.length} critical or urgent alarm(s) open`);
  if (ins.badLinks.length) findings.push(`${ins.badLinks.length} degraded or down link(s)`);
  if (ins.expiringCredentials.length) findings.push(`${ins.expiringCredentials.length} credential(s) expiring soon`);
  const neverVerified = s.hosts.filter((h) => (verified.get(h.name)?.points ?? 0) > 0 && !verified.get(h.name)?.at);
  if (neverVerified.length) findings.push(`${neverVerified.length} host(s) with points never verified: ${neverVerified.map((h) => h.name).join(', ')}`);
  if (ins.storage.daysUntilFull !== null && ins.storage.daysUntilFull < 30) findings.push(`storage full in ${Math.floor(ins.storage.daysUntilFull)} days at the current growth`);
  return {
    title: `Daily inspection of ${s.hub.name}`,
    generatedAt: now.toISOString(),
    hub: { name: s.hub.name, version: s.hub.version, startedAt: s.hub.startedAt, agentsUrl: s.hub.agentsUrl },
    findings,
    figures,
    agents: s.hosts.map((h) => ({ host: h.name, link: h.revoked ? 'revoked' : h.failedOver ? 'failed over' : h.link, lastSeen: h.lastSeen, agentVersion: h.agentVersion, tier: h.tier })),
    failedTasks: ins.failedTasks.map(task),
    waitingTasks: waiting.map((j) => ({ id: j.id, kind: j.kind, host: j.host, createdAt: j.createdAt, waitReason: j.waitReason })),
    openAlarms: openAlarms.map((a) => ({ id: a.id, level: a.level, rule: a.rule, host: a.host, state: a.state, firedAt: a.firedAt, message: a.message })),
    badLinks: ins.badLinks,
    expiringCredentials: ins.expiringCredentials,
    lastVerify: s.hosts.map((h) => ({ host: h.name, verifiedAt: verified.get(h.name)?.at ?? null, points: verified.get(h.name)?.points ?? 0 })),
    outsideRpo: ins.delayedHosts,
  };
}

type Cell = string | number | null;
interface Section {
  title: string;
  headers: string[];
  rows: Cell[][];
  empty: string;
}

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);

function sections(r: InspectionReport): Section[] {
  const f = r.figures;
  return [
    {
      title: 'Figures',
      headers: ['what', 'value'],
      rows: [
        ['hosts connected', `${f.hosts.connected}/${f.hosts.total}`],
        ['tasks running / queued', `${f.tasks.running} / ${f.tasks.queued}`],
        ['success rate 24 h / 7 d', `${pct(f.tasks.successRate24h)} / ${pct(f.tasks.successRate7d)}`],
        ['throughput (last minute)', `${formatBytes(f.throughput.lastMinuteBytesPerSec)}/s`],
        ['stored / logical', `${formatBytes(f.storage.bytesStored)} / ${formatBytes(f.storage.bytesLogical)} (dedup ${f.storage.dedupRatio.toFixed(2)}x)`],
        ['free / growth per day', `${f.storage.freeBytes === null ? '-' : formatBytes(f.storage.freeBytes)} / ${f.storage.growthBytesPerDay === null ? '-' : formatBytes(f.storage.growthBytesPerDay)}`],
        ['days until full', f.storage.daysUntilFull === null ? '-' : Math.floor(f.storage.daysUntilFull)],
        ['open alarms urgent/critical/warning/info', `${f.alarmsByLevel.urgent}/${f.alarmsByLevel.critical}/${f.alarmsByLevel.warning}/${f.alarmsByLevel.info}`],
        ['events 7 d (critical+urgent)', f.trend.last7d.critical + f.trend.last7d.urgent],
        ['events 30 d (critical+urgent)', f.trend.last30d.critical + f.trend.last30d.urgent],
      ],
      empty: '',
    },
    { title: 'Agents', headers: ['host', 'link', 'last seen', 'agent', 'tier'], rows: r.agents.map((a) => [a.host, a.link, a.lastSeen, a.agentVersion, a.tier]), empty: 'no hosts' },
    { title: 'Failed tasks (24 h)', headers: ['job', 'kind', 'host', 'finished', 'error'], rows: r.failedTasks.map((t) => [t.id, t.kind, t.host, t.finishedAt, t.error]), empty: 'none' },
    { title: 'Waiting tasks', headers: ['job', 'kind', 'host', 'queued since', 'why'], rows: r.waitingTasks.map((t) => [t.id, t.kind, t.host, t.createdAt, t.waitReason]), empty: 'none' },
    { title: 'Open alarms', headers: ['id', 'level', 'rule', 'host', 'state', 'fired', 'message'], rows: r.openAlarms.map((a) => [a.id, a.level, a.rule, a.host, a.state, a.firedAt, a.message]), empty: 'none' },
    { title: 'Links', headers: ['host', 'link', 'latency ms', 'state'], rows: r.badLinks.map((l) => [l.host, l.link, l.latencyMs, l.state]), empty: 'all links good' },
    { title: 'Credentials near expiry', headers: ['kind', 'name', 'expires', 'left'], rows: r.expiringCredentials.map((c) => [c.kind, c.name, c.expiresAt, longDuration(c.secondsLeft)]), empty: 'none' },
    { title: 'Last verify', headers: ['host', 'verified at', 'points'], rows: r.lastVerify.map((v) => [v.host, v.verifiedAt ?? 'never', v.points]), empty: 'no hosts' },
    { title: 'Outside RPO', headers: ['host', 'newest point', 'RPO'], rows: r.outsideRpo.map((d) => [d.host, d.lastPointTime ?? 'none', longDuration(d.rpoSeconds)]), empty: 'every host within its RPO' },
  ];
}

const mdCell = (c: Cell) => String(c ?? '-').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function inspectionMarkdown(r: InspectionReport): string {
  const out = [`# ${r.title}`, '', `Generated ${r.generatedAt}; hub ${r.hub.name} ${r.hub.version}, up since ${r.hub.startedAt}.`, ''];
  out.push('## Needs attention', '', ...(r.findings.length ? r.findings.map((x) => `- ${x}`) : ['Nothing: all checks are good.']), '');
  for (const s of sections(r)) {
    out.push(`## ${s.title}`, '');
    if (s.rows.length === 0) out.push(s.empty, '');
    else out.push(`| ${s.headers.join(' | ')} |`, `|${s.headers.map(() => '---').join('|')}|`, ...s.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`), '');
  }
  return out.join('\n');
}

const esc = (c: Cell) => String(c ?? '-').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export function inspectionHtml(r: InspectionReport): string {
  const css =
    'body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;margin:2rem auto;max-width:1100px;padding:0 1rem}table{border-collapse:collapse;width:100%}' +
    'th,td{border:1px solid #d8dce4;padding:.3rem .5rem;text-align:left}th{background:#f1f3f7}.ok{color:#1f883d}.attention{color:#cf222e}';
  const parts = [`<!doctype html><html><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${css}</style></head><body>`, `<h1>${esc(r.title)}</h1>`];
  parts.push(`<p>Generated ${esc(r.generatedAt)}; hub ${esc(r.hub.name)} ${esc(r.hub.version)}, up since ${esc(r.hub.startedAt)}.</p>`);
  parts.push('<h2>Needs attention</h2>', r.findings.length ? `<ul class="attention">${r.findings.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : '<p class="ok">Nothing: all checks are good.</p>');
  for (const s of sections(r)) {
    parts.push(`<h2>${esc(s.title)}</h2>`);
    parts.push(
      s.rows.length === 0
        ? `<p>${esc(s.empty)}</p>`
        : `<table><tr>${s.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${s.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`,
    );
  }
  parts.push('</body></html>');
  return parts.join('\n') + '\n';
}
