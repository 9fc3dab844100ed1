// A drill or takeover report as Markdown (for tickets), and the wording both renderers share.
import type { ObjectiveView, RecoveryReport } from '../protocol/recovery.js';
import { formatBytes, longDuration } from '../format/human.js';
import { AUDIT_HEADERS, auditRows, startedBy } from './report-audit.js';
import { bootRow, instancesMarkdown } from './report-instances.js';

export function verdictText(o: ObjectiveView): string {
  return o.pass === null ? 'n/a' : o.pass ? 'PASS' : 'FAIL';
}

/** The way back's figures as lines (final sync, bytes sent back, cut-over downtime); none for drills. */
export function wayBackLines(r: RecoveryReport): string[] {
  const w = r.wayBack;
  if (!w) return [];
  if (r.kind === 'failover') return [`Final sync: ${w.finalSync ?? 'no'}${w.finalSync === 'ran' ? ' (nothing acknowledged before the fence was lost: RPO 0)' : ''}`];
  const union = w.unionBlocks === undefined || w.unionBlocks === null
    ? 'whole volumes compared'
    : `of a union of ${w.unionBlocks} block(s) changed on either side (${w.unionBlocks ? (w.blocksSent / w.unionBlocks).toFixed(2) : '0.00'}×), ${w.sourceHashedBlocks ?? 0} source block hash(es) compared`;
  return [`Sent back: ${w.blocksSent} block(s), ${formatBytes(w.bytesSent)} ${union}`, `Cut-over downtime (cut-over start → source verified): ${longDuration(w.downtimeSeconds)}`];
}

export function objectiveRows(r: RecoveryReport): [string, string, string, string][] {
  return [
    ['RTO (start → restored and checked)', longDuration(r.rto.actualSeconds), longDuration(r.rto.targetSeconds), verdictText(r.rto)],
    ...bootRow(r),
    ['RPO (start − point time)', longDuration(r.rpo.actualSeconds), longDuration(r.rpo.targetSeconds), verdictText(r.rpo)],
  ];
}

export function stepDuration(ms: number | null): string {
  return ms === null ? '-' : longDuration(ms / 1000);
}

const cell = (s: string | number | null) => String(s ?? '-').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(headers: string[], rows: (string | number | null)[][]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function reportMarkdown(r: RecoveryReport): string {
  const out: string[] = [];
  out.push(`# ${r.title}`, '');
  out.push(
    `- **Kind:** ${r.kind === 'drill' ? `recovery drill (isolated target, production untouched)${r.bootSeconds !== null ? ': booted and checked' : ''}` : r.kind === 'failback' ? 'failback (the DR image sent home to the source)' : `failover (production target)${r.bootSeconds !== null ? ': booted and checked' : ''}`}`,
    `- **State:** ${r.state}${r.error ? ` — ${r.error}` : ''}`,
    `- **Verdict:** ${r.verdict ? r.verdict.toUpperCase() : 'none'}${r.verdictBy ? ` (by ${r.verdictBy})` : ''}`,
    `- **Operator:** ${r.operator.user}${r.operator.ssh ? ` (ssh ${r.operator.ssh})` : ''}${startedBy(r) ? `; ${startedBy(r)}` : ''}`,
    `- **Started:** ${r.startedAt}; **finished:** ${r.finishedAt ?? '-'}; **duration:** ${longDuration(r.durationSeconds)}`,
    `- **Hub:** ${r.hub}; **report generated:** ${r.generatedAt}`,
    '',
  );
  out.push('## Objectives and scope', '');
  out.push(table(['Objective', 'Actual', 'Target', 'Result'], objectiveRows(r)), '');
  for (const l of wayBackLines(r)) out.push(`- **${l.split(': ')[0]}:** ${l.split(': ').slice(1).join(': ')}`);
  if (wayBackLines(r).length) out.push('');
  out.push(
    `- **Hosts:** ${r.hosts.map((h) => h.host).join(', ')}${r.plan ? ` (plan ${r.plan})` : ''}`,
    `- **Points:** ${r.pointSpec}`,
    `- **Target:** ${r.target.name ?? 'default'} (${r.target.type}, ${r.target.format}) in ${r.target.dir}${r.target.command ? `; hook \`${r.target.command}\`` : ''}`,
    `- **RTO forecast:** ${longDuration(r.forecast.seconds)} for ${formatBytes(r.forecast.bytes)} at ${formatBytes(r.forecast.bytesPerSec)}/s (${r.forecast.basis}${r.forecast.samples ? `, ${r.forecast.samples} sample(s)` : ''})`,
    '',
  );
  out.push('## Hosts and points', '');
  out.push(
    table(
      ['Host', 'Tier', 'Volume', 'Point', 'Point time', 'Type', 'Size', 'Verified', 'Image', 'RTO', 'RPO'],
      r.hosts.flatMap((h) =>
        h.points.map((p) => [h.host, h.tier, p.volume, p.pointId, p.time, p.type, formatBytes(p.size), p.verified ? 'yes' : 'no', p.image, `${longDuration(h.rto.actualSeconds)} ${verdictText(h.rto)}`, `${longDuration(h.rpo.actualSeconds)} ${verdictText(h.rpo)}`]),
      ),
    ),
    '',
  );
  if (r.gates.length) {
    out.push('## Pre-check gates', '');
    out.push(table(['Gate', 'Result', 'Blocking', 'Detail'], r.gates.map((g) => [g.name, g.ok ? 'ok' : g.blocking ? 'BLOCKED' : 'warning', g.blocking ? 'yes' : 'no', g.detail])), '');
  }
  out.push('## Steps', '');
  out.push(
    table(
      ['#', 'Step', 'State', 'Start', 'End', 'Duration', 'Attempts', 'Detail'],
      r.steps.map((s) => [s.index + 1, s.title, s.state, s.startedAt, s.finishedAt, stepDuration(s.durationMs), s.attempts, s.error ?? s.detail]),
    ),
    '',
  );
  out.push(...instancesMarkdown(r));
  out.push('## Checks', '');
  out.push(
    r.checks.length
      ? table(['Host', 'Volume', 'Check', 'Type', 'Result', 'Duration', 'Detail'], r.checks.map((c) => [c.host, c.volume, c.name, c.type, c.status.toUpperCase(), stepDuration(c.durationMs), c.detail]))
      : 'No checks ran.',
    '',
  );
  out.push('## Issues encountered', '');
  const issues = [...r.issues, ...r.steps.filter((s) => s.state === 'failed').map((s) => `${s.title}: ${s.error ?? 'failed'}`)];
  out.push(issues.length ? issues.map((i) => `- ${i}`).join('\n') : 'None.', '');
  out.push('## Verdict and notes', '');
  out.push(`**${r.verdict ? r.verdict.toUpperCase() : 'NO VERDICT'}**${r.verdictBy ? ` (${r.verdictBy})` : ''}`, '', r.notes ?? '_No notes._', '');
  out.push('## Audit trail', '');
  const trail = auditRows(r);
  out.push(trail.length ? table(AUDIT_HEADERS, trail) : 'No audit rows recorded for this run.', '');
  return out.join('\n');
}
