// WeCom (WeChat Work) robots: a Markdown message; WeCom answers 200 with {errcode} even on failure.
import type { WebhookChannelConfig } from '../../config/types.js';
import { markdown } from './payloads.js';
import type { AlarmNotice, ChannelKind } from './types.js';
import { refusedByErrcode, webhookKind } from './webhook.js';

export function wecomPayload(n: AlarmNotice): object {
  return { msgtype: 'markdown', markdown: { content: markdown(n) } };
}

export const wecomChannel: ChannelKind<WebhookChannelConfig> = webhookKind(wecomPayload, refusedByErrcode('wecom'));
