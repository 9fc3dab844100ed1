// Alertmanager's POST /api/v2/alerts: one alert with labels and annotations per notice.
import type { WebhookChannelConfig } from '../../config/types.js';
import { summary } from './payloads.js';
import type { AlarmNotice, ChannelKind } from './types.js';
import { webhookKind } from './webhook.js';

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

export const alertmanagerChannel: ChannelKind<WebhookChannelConfig> = webhookKind(alertmanagerPayload);
