// Every kind of alarm channel, one line each: a new kind is its own module (a ChannelKind)
// plus one line here and its name in config/types.ts CHANNEL_TYPES (the config reader
// cannot import alarms/); the mapped type below fails to compile when the two disagree.
import type { ChannelConfig, ChannelType } from '../../config/types.js';
import { alertmanagerChannel } from './alertmanager.js';
import { dingtalkChannel } from './dingtalk.js';
import { emailChannel } from './email.js';
import { slackChannel } from './slack.js';
import { smsChannel } from './sms.js';
import type { ChannelKind, Notifier } from './types.js';
import { webhookChannel } from './webhook.js';
import { wecomChannel } from './wecom.js';

/** The configuration of a channel of kind T. */
type ConfigOf<T extends ChannelType> = ChannelConfig extends infer C ? (C extends ChannelConfig ? (T extends C['type'] ? C : never) : never) : never;

export const CHANNELS: { readonly [T in ChannelType]: ChannelKind<ConfigOf<T>> } = {
  webhook: webhookChannel,
  slack: slackChannel,
  dingtalk: dingtalkChannel,
  wecom: wecomChannel,
  alertmanager: alertmanagerChannel,
  email: emailChannel,
  sms: smsChannel,
};

export function createNotifier(ch: ChannelConfig): Notifier {
  // CHANNELS maps each type to the kind made for its configuration
  const kind: ChannelKind<ChannelConfig> = CHANNELS[ch.type];
  return kind.create(ch);
}

export type { AlarmNotice, ChannelKind, Notifier, NoticeKind } from './types.js';
export { DeliveryError } from './types.js';
