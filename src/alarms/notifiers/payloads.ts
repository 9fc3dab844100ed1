// What every channel's message says: the one-line summary, the label/value details, and
// the plain-text and Markdown bodies built from them. Pure: tested by comparing payloads.
import type { AlarmNotice } from './types.js';

const KIND_WORD: Record<AlarmNotice['kind'], string> = {
  fired: 'FIRING',
  acknowledged: 'ACKNOWLEDGED',
  resolved: 'RESOLVED',
  sla_breached: 'UNACKNOWLEDGED (SLA breached)',
  test: 'TEST',
};

/** `[FIRING] critical host-disconnected on web-01: host web-01 disconnected` */
export function summary(n: AlarmNotice): string {
  const a = n.alarm;
  const where = a.host ? ` on ${a.host}` : '';
  return `[${KIND_WORD[n.kind]}] ${a.level} ${a.rule}${where}: ${a.message}`;
}

/** The lines every human-readable format shows, as label/value pairs. */
export function detailFields(n: AlarmNotice): [string, string][] {
  const a = n.alarm;
  const f: [string, string][] = [
    ['Alarm', `#${a.id} ${a.rule}`],
    ['Level', a.level],
    ['State', a.state],
    ['Host', a.host ?? '-'],
  ];
  if (a.subject) f.push(['Subject', a.subject]);
  f.push(['Fired', a.firedAt]);
  if (n.kind !== 'fired' && n.kind !== 'test') f.push(['By', n.actor]);
  if (n.note) f.push(['Note', n.note]);
  f.push(['Hub', n.hub]);
  return f;
}

export function plainText(n: AlarmNotice): string {
  return [summary(n), '', ...detailFields(n).map(([k, v]) => `${k}: ${v}`), ''].join('\n');
}

export function markdown(n: AlarmNotice): string {
  return [`### ${summary(n)}`, '', ...detailFields(n).map(([k, v]) => `- **${k}**: ${v}`)].join('\n');
}
