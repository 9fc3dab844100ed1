// What a channel is given to send, what it throws when it cannot, and what a kind of
// channel provides to the registry (index.ts).
import type { ChannelConfig } from '../../config/types.js';
import type { AlarmView } from '../../protocol/operator.js';

export type NoticeKind = 'fired' | 'acknowledged' | 'resolved' | 'sla_breached' | 'test';

export interface AlarmNotice {
  kind: NoticeKind;
  hub: string;
  /** ISO time of the transition */
  time: string;
  actor: string;
  note: string | null;
  alarm: AlarmView;
}

export interface Notifier {
  readonly channel: ChannelConfig;
  /** Deliver once; throws DeliveryError (the dispatcher retries). `signal` aborts it (hub stopping). */
  send(n: AlarmNotice, signal?: AbortSignal): Promise<void>;
}

/** One kind of channel (webhook, slack, email, …): makes the notifier for a configured channel. */
export interface ChannelKind<C extends ChannelConfig> {
  create(channel: C): Notifier;
}

/** One failed delivery attempt, as one line: "HTTP 500 from http://…", "SMTP: connection refused". */
export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}
