// DingTalk robots: a Markdown message; DingTalk answers 200 with {errcode} even on failure.
import type { WebhookChannelConfig } from '../../config/types.js';
import { markdown, summary } from './payloads.js';
import type { AlarmNotice, ChannelKind } from './types.js';
import { refusedByErrcode, webhookKind } from './webhook.js';

export function dingtalkPayload(n: AlarmNotice): object {
  return { msgtype: 'markdown', markdown: { title: summary(n).slice(0, 64), text: markdown(n) } };
}

export const dingtalkChannel: ChannelKind<WebhookChannelConfig> = webhookKind(dingtalkPayload, refusedByErrcode('dingtalk'));
