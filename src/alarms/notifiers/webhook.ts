// Webhook channels: generic JSON, Slack, DingTalk, WeCom and Alertmanager, each POSTing its
// own payload. DingTalk and WeCom answer 200 with {errcode} even on failure: checked.
import type { WebhookChannelConfig } from '../../config/types.js';
import { httpSend } from './http.js';
import { alertmanagerPayload, dingtalkPayload, genericPayload, slackPayload, wecomPayload } from './payloads.js';
import { DeliveryError, type AlarmNotice, type Notifier } from './types.js';

const PAYLOADS: Record<WebhookChannelConfig['type'], (n: AlarmNotice) => object> = {
  webhook: genericPayload,
  slack: slackPayload,
  dingtalk: dingtalkPayload,
  wecom: wecomPayload,
  alertmanager: alertmanagerPayload,
};

export class WebhookNotifier implements Notifier {
  constructor(readonly channel: WebhookChannelConfig) {}

  async send(n: AlarmNotice, signal?: AbortSignal): Promise<void> {
    const text = await httpSend(this.channel.url, { method: 'POST', body: JSON.stringify(PAYLOADS[this.channel.type](n)), signal });
    if (this.channel.type === 'dingtalk' || this.channel.type === 'wecom') {
      let reply: { errcode?: unknown; errmsg?: unknown } = {};
      try {
        reply = JSON.parse(text) as typeof reply;
      } catch {
        // a gateway that answers 2xx without JSON: taken as delivered
      }
      if (typeof reply.errcode === 'number' && reply.errcode !== 0) {
        throw new DeliveryError(`${this.channel.type} refused the message: errcode ${reply.errcode} ${String(reply.errmsg ?? '')}`.trim());
      }
    }
  }
}
