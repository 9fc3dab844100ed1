// The alarm service of the hub: evaluates rules on facts and events, keeps the lifecycle in
// the catalog, audits every transition, pushes alarms to operators and sends notifications.
import type { ChannelConfig } from '../config/types.js';
import type { AlarmDeliveryView, AlarmView, Update } from '../protocol/operator.js';
import { Dispatcher, routeChannels, type RetryPolicy } from './delivery.js';
import { AlarmEvaluator } from './evaluator.js';
import { alarmInputs, type AlarmEventData } from './events.js';
import { AlarmBook } from './lifecycle.js';
import { createNotifier } from './notifiers/index.js';
import type { AlarmNotice, NoticeKind } from './notifiers/types.js';
import { ACK_SLA_SECONDS, rulesInForce, type AlarmRule } from './rules.js';
import type { SelectableHost } from './selector.js';
import { AlarmError, type AlarmLedger, type AlarmRecord, type Clock, type Facts, type Transition } from './types.js';

export interface AlarmServiceOptions {
  /** where alarms and their deliveries are kept (the catalog in the hub) */
  store: AlarmLedger;
  rules: AlarmRule[];
  channels: ChannelConfig[];
  hubName: string;
  clock: Clock;
  host(name: string): SelectableHost | null;
  audit(actor: string, action: string, target: string | null, outcome: string, details: object): void;
  broadcast(u: Update): void;
  log(level: 'info' | 'warning', message: string): void;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const NOTIFIED: Partial<Record<Transition['kind'], NoticeKind>> = {
  fired: 'fired',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
  sla_breached: 'sla_breached',
};

export class AlarmService {
  readonly store: AlarmLedger;
  evaluator: AlarmEvaluator;
  readonly book: AlarmBook;
  readonly dispatcher: Dispatcher;
  rules: AlarmRule[];
  private stopped = false;

  constructor(private readonly o: AlarmServiceOptions) {
    this.rules = rulesInForce(o.rules);
    this.store = o.store;
    this.evaluator = new AlarmEvaluator(this.rules);
    this.book = new AlarmBook(this.store);
    this.dispatcher = new Dispatcher({
      notifiers: o.channels.map(createNotifier),
      clock: o.clock,
      retry: o.retry,
      sleep: o.sleep,
      record: (a) => {
        if (this.stopped) return;
        this.store.recordDelivery(a);
        // each attempt shows in the cockpit at once, a failing channel included
        const fresh = a.alarmId === null ? undefined : this.store.get(a.alarmId);
        if (fresh) this.o.broadcast({ type: 'alarm', alarm: this.view(fresh) });
      },
    });
  }

  /**
   * A config reload: new rules and channels from now on. Open alarms stay (a rule that is gone
   * no longer fires or clears them; resolve them by hand); `for:` timers start again.
   */
  reconfigure(rules: AlarmRule[], channels: ChannelConfig[]): void {
    this.rules = rulesInForce(rules);
    this.evaluator = new AlarmEvaluator(this.rules);
    this.o.channels = channels;
    this.dispatcher.setNotifiers(channels.map(createNotifier));
  }

  /** The channels in force (config `channels:`). */
  channels(): ChannelConfig[] {
    return this.o.channels;
  }

  stop(): void {
    this.stopped = true;
    this.dispatcher.stop();
  }

  /** A hub event: event rules fire or clear. */
  onHubEvent(kind: string, host: string | null, message: string, data: AlarmEventData = {}): void {
    if (this.stopped) return;
    const now = this.o.clock();
    const signals = alarmInputs(kind, host, message, data).flatMap((ev) => this.evaluator.onEvent(now, ev, ev.host === null ? null : this.o.host(ev.host)));
    if (signals.length) this.handle(this.book.apply(now, signals));
  }

  /** Periodic: metric rules on the facts, pending `for:` events, SLA timers, flap quiet periods. */
  evaluate(facts: Facts): void {
    if (this.stopped) return;
    const now = this.o.clock();
    this.handle([...this.book.apply(now, this.evaluator.evaluate(now, facts)), ...this.book.tick(now)]);
  }

  acknowledge(id: number, actor: string, note: string | null): AlarmView {
    const t = this.book.acknowledge(this.o.clock(), id, actor, note);
    this.handle([t]);
    return this.view(t.alarm);
  }

  resolve(id: number, actor: string, note: string): AlarmView {
    const t = this.book.resolve(this.o.clock(), id, actor, note);
    this.handle([t]);
    return this.view(t.alarm);
  }

  list(open: boolean, limit: number): AlarmView[] {
    return this.store.list(open, limit).map((a) => this.view(a));
  }

  recent(): AlarmView[] {
    return this.store.recent(new Date(this.o.clock() - 86_400_000).toISOString(), 500).map((a) => this.view(a));
  }

  view(a: AlarmRecord): AlarmView {
    return {
      id: a.id,
      key: a.key,
      rule: a.rule,
      level: a.level,
      state: a.state,
      host: a.host,
      subject: a.subject,
      message: a.message,
      value: a.value,
      firedAt: iso(a.firedAt)!,
      lastFiredAt: iso(a.lastFiredAt)!,
      count: a.count,
      flapping: a.flapping,
      ackedAt: iso(a.ackedAt),
      ackedBy: a.ackedBy,
      ackNote: a.ackNote,
      resolvedAt: iso(a.resolvedAt),
      resolvedBy: a.resolvedBy,
      resolveNote: a.resolveNote,
      sla: { ackWithinSeconds: ACK_SLA_SECONDS[a.level], dueAt: iso(a.slaDueAt), breached: a.slaBreached },
      deliveries: this.store.deliveries(a.id),
    };
  }

  private handle(transitions: Transition[]): void {
    for (const t of transitions) {
      const a = t.alarm;
      this.o.audit(t.actor, `alarm.${t.kind}`, `alarm:${a.id}`, 'ok', { rule: a.rule, level: a.level, host: a.host, subject: a.subject, note: t.note, message: a.message });
      this.o.log(t.kind === 'resolved' || t.kind === 'acknowledged' ? 'info' : 'warning', `alarm ${a.id} ${t.kind}: ${a.level} ${a.rule}${a.host ? ` on ${a.host}` : ''}: ${a.message}`);
      const view = this.view(a);
      this.o.broadcast({ type: 'alarm', alarm: view });
      const kind = NOTIFIED[t.kind];
      if (kind) this.notify(kind, t, view);
    }
  }

  private notify(kind: NoticeKind, t: Transition, view: AlarmView): void {
    const rule = this.rules.find((r) => r.name === t.alarm.rule);
    const host = t.alarm.host === null ? null : this.o.host(t.alarm.host);
    const channels = routeChannels(this.o.channels, rule?.channels ?? [], t.alarm.level, host);
    if (channels.length === 0) return;
    const notice: AlarmNotice = { kind, hub: this.o.hubName, time: new Date(this.o.clock()).toISOString(), actor: t.actor, note: t.note, alarm: view };
    this.dispatcher.dispatch(notice, channels);
  }

  /** One test notification through a channel, no retries; recorded and audited. */
  async testChannel(name: string, actor: string): Promise<AlarmDeliveryView> {
    const n = this.dispatcher.notifier(name);
    if (!n) throw new AlarmError('not-found', `no channel named ${name} (configured: ${this.o.channels.map((c) => c.name).join(', ') || 'none'})`);
    const now = new Date(this.o.clock()).toISOString();
    const alarm: AlarmView = {
      id: 0, key: 'test', rule: 'test-channel', level: 'info', state: 'firing', host: null, subject: null,
      message: `test notification from hub ${this.o.hubName}, sent by ${actor}`, value: null, firedAt: now, lastFiredAt: now, count: 1,
      flapping: false, ackedAt: null, ackedBy: null, ackNote: null, resolvedAt: null, resolvedBy: null, resolveNote: null,
      sla: { ackWithinSeconds: ACK_SLA_SECONDS.info, dueAt: null, breached: false }, deliveries: [],
    };
    const r = await this.dispatcher.deliver(n, { kind: 'test', hub: this.o.hubName, time: now, actor, note: null, alarm }, { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 });
    this.o.audit(actor, 'alarms.test-channel', name, r.ok ? 'ok' : 'failed', { error: r.error });
    return r;
  }
}
