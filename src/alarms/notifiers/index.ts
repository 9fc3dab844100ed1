// A notifier for each configured channel.
import type { ChannelConfig } from '../../config/types.js';
import { EmailNotifier } from './email.js';
import { SmsNotifier } from './sms.js';
import type { Notifier } from './types.js';
import { WebhookNotifier } from './webhook.js';

export function createNotifier(ch: ChannelConfig): Notifier {
  switch (ch.type) {
    case 'email':
      return new EmailNotifier(ch);
    case 'sms':
      return new SmsNotifier(ch);
    default:
      return new WebhookNotifier(ch);
  }
}

export type { AlarmNotice, Notifier, NoticeKind } from './types.js';
export { DeliveryError } from './types.js';
