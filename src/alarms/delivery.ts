// Notification delivery: which channels an alarm goes to (rule's channels, then each
// channel's levels and hosts), and sending with retries and exponential backoff. Every
// attempt is handed to the delivery log.
import type { ChannelConfig } from '../config/types.js';
import type { AlarmDeliveryView } from '../protocol/operator.js';
import type { AlarmNotice, Notifier } from './notifiers/types.js';
import { selectsHost, type SelectableHost } from './selector.js';
import type { Clock } from './types.js';
export type { DeliveryAttempt } from '../catalog/alarm-records.js';
import type { DeliveryAttempt } from '../catalog/alarm-records.js';


export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2000, maxDelayMs: 60_000 };

/** Delay before attempt `attempt + 1` (attempt counts from 1): base, 2·base, 4·base… capped. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/** Channels an alarm of this level about this host is sent to. */
export function routeChannels(channels: ChannelConfig[], ruleChannels: string[], level: string, host: SelectableHost | null): ChannelConfig[] {
  return channels.filter(
    (c) =>
      (ruleChannels.length === 0 || ruleChannels.includes(c.name)) &&
      (c.levels.length === 0 || (c.levels as string[]).includes(level)) &&
      selectsHost(c.hosts, host),
  );
}

export interface DispatcherOptions {
  notifiers: Notifier[];
  clock: Clock;
  retry?: RetryPolicy;
  /** waits between attempts; injected in tests */
  sleep?: (ms: number) => Promise<void>;
  record(a: DeliveryAttempt): void;
}

export class Dispatcher {
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly abort = new AbortController();

  constructor(private readonly o: DispatcherOptions) {
    this.retry = o.retry ?? DEFAULT_RETRY;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
  }

  /** A config reload: deliveries under way finish on the notifier they started with. */
  setNotifiers(notifiers: Notifier[]): void {
    this.o.notifiers = notifiers;
  }

  notifier(name: string): Notifier | undefined {
    return this.o.notifiers.find((n) => n.channel.name === name);
  }

  /** Send to one channel until it succeeds or the attempts run out; resolves with the outcome. */
  async deliver(notifier: Notifier, notice: AlarmNotice, retry = this.retry): Promise<AlarmDeliveryView> {
    let last: DeliveryAttempt | null = null;
    for (let attempt = 1; attempt <= retry.maxAttempts && !this.abort.signal.aborted; attempt++) {
      let error: string | null = null;
      try {
        await notifier.send(notice, this.abort.signal);
      } catch (e) {
        error = (e as Error).message.split('\n')[0] ?? 'delivery failed';
      }
      last = { alarmId: notice.kind === 'test' ? null : notice.alarm.id, channel: notifier.channel.name, transition: notice.kind, attempt, time: this.o.clock(), ok: error === null, error };
      this.o.record(last);
      if (error === null || attempt === retry.maxAttempts) break;
      await this.sleep(backoffMs(retry, attempt));
    }
    return {
      channel: notifier.channel.name,
      transition: notice.kind,
      ok: last?.ok ?? false,
      attempts: last?.attempt ?? 0,
      error: last ? last.error : 'not sent: hub stopping',
      time: new Date(last?.time ?? this.o.clock()).toISOString(),
    };
  }

  /** Fire and forget, to each routed channel in parallel. */
  dispatch(notice: AlarmNotice, channels: ChannelConfig[]): void {
    for (const ch of channels) {
      const n = this.notifier(ch.name);
      if (!n) continue;
      void this.deliver(n, notice);
    }
  }

  /** No more retries; requests in flight are aborted. */
  stop(): void {
    this.abort.abort();
  }
}
