// A drill or takeover report as one self-contained HTML file: inline CSS and an inline SVG
// timeline of the steps, nothing fetched, so a manager can open it from a mail attachment.
import type { RecoveryReport, StepView } from '../protocol/recovery.js';
import { AUDIT_HEADERS, auditRows, startedBy } from './report-audit.js';
import { instancesHtml } from './report-instances.js';
import { formatBytes, longDuration } from '../format/human.js';
import { objectiveRows, stepDuration, verdictText, wayBackLines } from './report-md.js';

const esc = (s: string | number | null | undefined) =>
  String(s ?? '-').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d2330;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #d8dce4;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d8dce4;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f7}td.num{text-align:right;white-space:nowrap}.meta{color:#566074}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:600;color:#fff}
.pass,.succeeded,.ok,.completed{background:#1f883d}.fail,.failed,.blocked{background:#cf222e}.skipped,.na,.pending{background:#8c959f}.running,.warn{background:#bf8700}
.verdict{font-size:1.3rem;margin:.5rem 0}code{background:#f1f3f7;padding:0 .2rem}
`;

const badge = (text: string, cls: string) => `<span class="badge ${esc(cls)}">${esc(text)}</span>`;
const objBadge = (t: string) => badge(t, t === 'PASS' ? 'pass' : t === 'FAIL' ? 'fail' : 'na');

function table(headers: string[], rows: string[][]): string {
  return `<table><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
}

const COLOUR: Record<StepView['state'], string> = { succeeded: '#1f883d', failed: '#cf222e', skipped: '#8c959f', running: '#bf8700', pending: '#d0d7de' };

/** Steps as bars on a time axis from the run's start; the RTO target as a dashed line. */
export function timelineSvg(r: RecoveryReport): string {
  const t0 = Date.parse(r.startedAt);
  const ends = r.steps.map((s) => (s.finishedAt ? Date.parse(s.finishedAt) : s.startedAt ? Date.parse(s.startedAt) : t0));
  const rtoMs = r.rto.targetSeconds !== null ? r.rto.targetSeconds * 1000 : 0;
  const stepsSpan = Math.max(1, ...ends.map((e) => e - t0));
  // the RTO line is drawn when it fits a readable scale (within 10× the run's length)
  const showRto = rtoMs > 0 && rtoMs <= 10 * stepsSpan;
  const spanMs = showRto ? Math.max(stepsSpan, rtoMs) : stepsSpan;
  const rowH = 22;
  const label = 260;
  const width = 1000;
  const plot = width - label - 20;
  const height = r.steps.length * rowH + 40;
  const x = (ms: number) => label + (Math.max(0, ms) / spanMs) * plot;
  const rows = r.steps.map((s, i) => {
    const y = 10 + i * rowH;
    const start = s.startedAt ? Date.parse(s.startedAt) - t0 : null;
    const end = s.finishedAt ? Date.parse(s.finishedAt) - t0 : start;
    const bar = start === null ? '' : `<rect x="${x(start).toFixed(1)}" y="${y + 3}" width="${Math.max(2, x(end ?? start) - x(start)).toFixed(1)}" height="${rowH - 8}" rx="3" fill="${COLOUR[s.state]}"><title>${esc(`${s.title}: ${s.state}, ${stepDuration(s.durationMs)}`)}</title></rect>`;
    return `<text x="${label - 8}" y="${y + rowH - 8}" text-anchor="end" font-size="12">${esc(s.title.length > 38 ? `${s.title.slice(0, 37)}…` : s.title)}</text>${bar}`;
  });
  const axisY = 10 + r.steps.length * rowH + 4;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(f * spanMs).toFixed(1)}" y="${axisY + 14}" font-size="11" text-anchor="middle" fill="#566074">${esc(longDuration((f * spanMs) / 1000))}</text>`);
  const rto = showRto ? `<line x1="${x(rtoMs)}" y1="6" x2="${x(rtoMs)}" y2="${axisY}" stroke="#cf222e" stroke-dasharray="4 3"/><text x="${x(rtoMs) - 4}" y="8" font-size="11" text-anchor="end" fill="#cf222e">RTO target</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="timeline of the steps"><line x1="${label}" y1="${axisY}" x2="${width - 20}" y2="${axisY}" stroke="#8c959f"/>${rows.join('')}${ticks.join('')}${rto}</svg>`;
}

export function reportHtml(r: RecoveryReport): string {
  const issues = [...r.issues, ...r.steps.filter((s) => s.state === 'failed').map((s) => `${s.title}: ${s.error ?? 'failed'}`)];
  const parts: string[] = [];
  parts.push(`<h1>${esc(r.title)}</h1>`);
  parts.push(
    `<p class="meta">${esc(r.kind === 'drill' ? `Recovery drill: ${r.bootSeconds !== null ? 'booted and checked on an isolated target' : 'isolated target'}, production untouched` : r.kind === 'failback' ? 'Failback: the DR image sent home to the source' : `Failover to the production target${r.bootSeconds !== null ? ': booted and checked' : ''}`)} · hub ${esc(r.hub)} · operator ${esc(r.operator.user)}${r.operator.ssh ? ` (ssh ${esc(r.operator.ssh)})` : ''}${startedBy(r) ? `, ${esc(startedBy(r))}` : ''} · generated ${esc(r.generatedAt)}</p>`,
  );
  parts.push(`<p class="verdict">Verdict: ${r.verdict ? badge(r.verdict.toUpperCase(), r.verdict) : badge('NONE', 'na')} ${r.verdictBy ? `<span class="meta">by ${esc(r.verdictBy)}</span>` : ''} · state ${badge(r.state, r.state)}</p>`);
  parts.push('<h2>Objectives and scope</h2>');
  parts.push(table(['Objective', 'Actual', 'Target', 'Result'], objectiveRows(r).map(([a, b, c, d]) => [esc(a), esc(b), esc(c), objBadge(d)])));
  parts.push(
    `<p>Hosts: <b>${esc(r.hosts.map((h) => h.host).join(', '))}</b>${r.plan ? ` (plan ${esc(r.plan)})` : ''} · points: ${esc(r.pointSpec)} · started ${esc(r.startedAt)} · finished ${esc(r.finishedAt)} · duration ${esc(longDuration(r.durationSeconds))}<br>` +
      `Target: ${esc(r.target.name ?? 'default')} (${esc(r.target.type)}, ${esc(r.target.format)}) in <code>${esc(r.target.dir)}</code>${r.target.command ? ` · hook <code>${esc(r.target.command)}</code>` : ''}<br>` +
      `RTO forecast: ${esc(longDuration(r.forecast.seconds))} for ${esc(formatBytes(r.forecast.bytes))} at ${esc(formatBytes(r.forecast.bytesPerSec))}/s (${esc(r.forecast.basis)})</p>`,
  );
  const back = wayBackLines(r);
  if (back.length) parts.push(`<p>${back.map((l) => esc(l)).join('<br>')}</p>`);
  parts.push('<h2>Timeline</h2>', timelineSvg(r));
  parts.push('<h2>Hosts and points</h2>');
  parts.push(
    table(
      ['Host', 'Tier', 'Volume', 'Point', 'Point time', 'Size', 'Verified', 'Image', 'RTO', 'RPO'],
      r.hosts.flatMap((h) =>
        h.points.map((p) => [esc(h.host), esc(h.tier), esc(p.volume), esc(p.pointId), esc(p.time), esc(formatBytes(p.size)), p.verified ? 'yes' : 'no', `<code>${esc(p.image)}</code>`,
          `${esc(longDuration(h.rto.actualSeconds))} ${objBadge(verdictText(h.rto))}`, `${esc(longDuration(h.rpo.actualSeconds))} ${objBadge(verdictText(h.rpo))}`]),
      ),
    ),
  );
  if (r.gates.length) {
    parts.push('<h2>Pre-check gates</h2>');
    parts.push(table(['Gate', 'Result', 'Blocking', 'Detail'], r.gates.map((g) => [esc(g.name), badge(g.ok ? 'ok' : g.blocking ? 'blocked' : 'warn', g.ok ? 'ok' : g.blocking ? 'blocked' : 'warn'), g.blocking ? 'yes' : 'no', esc(g.detail)])));
  }
  parts.push('<h2>Steps</h2>');
  parts.push(
    table(
      ['#', 'Step', 'State', 'Start', 'End', 'Duration', 'Attempts', 'Detail'],
      r.steps.map((s) => [String(s.index + 1), esc(s.title), badge(s.state, s.state), esc(s.startedAt), esc(s.finishedAt), `<span class="num">${esc(stepDuration(s.durationMs))}</span>`, String(s.attempts), esc(s.error ?? s.detail)]),
    ),
  );
  parts.push(...instancesHtml(r, esc));
  parts.push('<h2>Checks</h2>');
  parts.push(
    r.checks.length
      ? table(['Host', 'Volume', 'Check', 'Type', 'Result', 'Duration', 'Detail'], r.checks.map((c) => [esc(c.host), esc(c.volume), esc(c.name), esc(c.type), badge(c.status.toUpperCase(), c.status), esc(stepDuration(c.durationMs)), esc(c.detail)]))
      : '<p>No checks ran.</p>',
  );
  parts.push('<h2>Issues encountered</h2>', issues.length ? `<ul>${issues.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '<p>None.</p>');
  parts.push('<h2>Verdict and notes</h2>', `<p>${r.verdict ? badge(r.verdict.toUpperCase(), r.verdict) : badge('NONE', 'na')}</p><p>${esc(r.notes ?? 'No notes.')}</p>`);
  const trail = auditRows(r);
  parts.push('<h2>Audit trail</h2>', trail.length ? table(AUDIT_HEADERS, trail.map((row) => row.map(esc))) : '<p>No audit rows recorded for this run.</p>');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${CSS}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
