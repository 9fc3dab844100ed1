// Message bodies per channel flavour: generic JSON, Slack, DingTalk, WeCom and
// Alertmanager, plus the one-line summary and the plain-text body used by email and SMS.
// Pure: tested by comparing payloads.
import type { AlarmNotice } from './types.js';

const KIND_WORD: Record<AlarmNotice['kind'], string> = {
  fired: 'FIRING',
  acknowledged: 'ACKNOWLEDGED',
  resolved: 'RESOLVED',
  sla_breached: 'UNACKNOWLEDGED (SLA breached)',
  test: 'TEST',
};

const SLACK_COLOURS: Record<string, string> = { info: '#439fe0', warning: '#daa038', critical: '#d00000', urgent: '#8b0000' };

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

export function genericPayload(n: AlarmNotice): object {
  return { source: 'drc', version: 1, hub: n.hub, kind: n.kind, time: n.time, actor: n.actor, note: n.note, summary: summary(n), alarm: n.alarm };
}

export function slackPayload(n: AlarmNotice): object {
  return {
    text: summary(n),
    attachments: [
      {
        color: n.kind === 'resolved' ? '#2eb886' : SLACK_COLOURS[n.alarm.level],
        title: `${n.alarm.rule}${n.alarm.host ? ` on ${n.alarm.host}` : ''}`,
        text: n.alarm.message,
        fields: detailFields(n).map(([title, value]) => ({ title, value, short: value.length < 40 })),
        ts: Math.floor(Date.parse(n.time) / 1000),
      },
    ],
  };
}

function markdown(n: AlarmNotice): string {
  return [`### ${summary(n)}`, '', ...detailFields(n).map(([k, v]) => `- **${k}**: ${v}`)].join('\n');
}

export function dingtalkPayload(n: AlarmNotice): object {
  return { msgtype: 'markdown', markdown: { title: summary(n).slice(0, 64), text: markdown(n) } };
}

export function wecomPayload(n: AlarmNotice): object {
  return { msgtype: 'markdown', markdown: { content: markdown(n) } };
}

/** Alertmanager's POST /api/v2/alerts body: resolved alarms carry endsAt. */
export function alertmanagerPayload(n: AlarmNotice): object[] {
  const a = n.alarm;
  const labels: Record<string, string> = { alertname: a.rule, severity: a.level, source: 'drc', hub: n.hub, drc_alarm_id: String(a.id) };
  if (a.host) labels.host = a.host;
  if (a.subject) labels.subject = a.subject;
  const alert: Record<string, unknown> = {
    labels,
    annotations: { summary: summary(n), description: a.message, state: a.state, ...(n.note ? { note: n.note } : {}) },
    startsAt: a.firedAt,
  };
  if (a.resolvedAt) alert.endsAt = a.resolvedAt;
  return [alert];
}
