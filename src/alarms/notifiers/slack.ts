// Slack incoming webhooks: the summary as text and a colour-coded attachment with the details.
import type { WebhookChannelConfig } from '../../config/types.js';
import { detailFields, summary } from './payloads.js';
import type { AlarmNotice, ChannelKind } from './types.js';
import { webhookKind } from './webhook.js';

const SLACK_COLOURS: Record<string, string> = { info: '#439fe0', warning: '#daa038', critical: '#d00000', urgent: '#8b0000' };

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

export const slackChannel: ChannelKind<WebhookChannelConfig> = webhookKind(slackPayload);
