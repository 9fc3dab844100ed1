// Webhook channels: one JSON POST per notice. The generic kind sends the whole alarm; the
// chat and Alertmanager kinds (their own modules) reuse webhookKind with their payload.
import type { WebhookChannelConfig } from '../../config/types.js';
import { httpSend } from './http.js';
import { summary } from './payloads.js';
import { DeliveryError, type AlarmNotice, type ChannelKind, type Notifier } from './types.js';

/** Looks at a 2xx reply's text; throws DeliveryError when the service refused all the same. */
export type ReplyCheck = (text: string) => void;

export class WebhookNotifier implements Notifier {
  constructor(readonly channel: WebhookChannelConfig, private readonly payload: (n: AlarmNotice) => object, private readonly check?: ReplyCheck) {}

  async send(n: AlarmNotice, signal?: AbortSignal): Promise<void> {
    const text = await httpSend(this.channel.url, { method: 'POST', body: JSON.stringify(this.payload(n)), signal });
    this.check?.(text);
  }
}

export function webhookKind(payload: (n: AlarmNotice) => object, check?: ReplyCheck): ChannelKind<WebhookChannelConfig> {
  return { create: (channel) => new WebhookNotifier(channel, payload, check) };
}

/** Chat robots that answer 200 with {errcode, errmsg}: a non-zero errcode is a failed delivery. */
export function refusedByErrcode(service: string): ReplyCheck {
  return (text) => {
    let reply: { errcode?: unknown; errmsg?: unknown } = {};
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      // a gateway that answers 2xx without JSON: taken as delivered
    }
    if (typeof reply.errcode === 'number' && reply.errcode !== 0) {
      throw new DeliveryError(`${service} refused the message: errcode ${reply.errcode} ${String(reply.errmsg ?? '')}`.trim());
    }
  };
}

export function genericPayload(n: AlarmNotice): object {
  return { source: 'drc', version: 1, hub: n.hub, kind: n.kind, time: n.time, actor: n.actor, note: n.note, summary: summary(n), alarm: n.alarm };
}

export const webhookChannel: ChannelKind<WebhookChannelConfig> = webhookKind(genericPayload);
