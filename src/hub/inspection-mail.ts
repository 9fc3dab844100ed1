// The daily inspection sent through channels: on the config's `inspection.cron` (the
// morning mail) and on `drc inspect --send`. Each channel gets the report once, with retries
// for the scheduled send; every delivery is an event, a manual send is audited.
import type { ChannelConfig, InspectionConfig } from '../config/types.js';
import { sendReport, type ReportMessage } from '../alarms/notifiers/reports.js';
import type { AlarmDeliveryView, AlarmView, InspectionSendView, InspectionView, Snapshot } from '../protocol/operator.js';
import { buildInspection, inspectionHtml, inspectionMarkdown } from '../reports/inspection.js';
import { nextRun, parseCron } from '../scheduler/cron.js';
import { ApiError } from './api.js';
import type { Clock, Journal } from './ports.js';

/** What the inspection mail reads and where it reports. */
export interface InspectionMailPorts {
  clock: Clock;
  hubName: string;
  snapshot(): Snapshot;
  inspection(): InspectionView;
  openAlarms(): AlarmView[];
  /** the configured channels (config `channels:`), as they are now */
  channels(): ChannelConfig[];
  journal: Journal;
  /** waits between attempts of a scheduled send; injected in tests */
  sleep?: (ms: number) => Promise<void>;
}

/** a scheduled send tries each channel this many times, 30 s apart */
const SCHEDULED_ATTEMPTS = 3;
const RETRY_DELAY_MS = 30_000;

export class InspectionMail {
  private next: number | null = null;
  private sending = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly p: InspectionMailPorts,
    private config: InspectionConfig | null,
  ) {}

  start(): void {
    this.plan();
  }

  stop(): void {
    this.abort.abort();
  }

  /** A config reload: the new cron and channels from now on. */
  reconfigure(config: InspectionConfig | null): void {
    this.config = config;
    this.plan();
  }

  private plan(): void {
    const c = this.config;
    this.next = c?.cron ? nextRun(parseCron(c.cron, c.timezone), this.p.clock.now()) : null;
  }

  /** Once a second: the scheduled send when its time has come (one at a time). */
  tick(): void {
    const c = this.config;
    if (this.next === null || !c?.cron || this.p.clock.now() < this.next || this.sending) return;
    this.next = nextRun(parseCron(c.cron, c.timezone), this.p.clock.now());
    void this.send(null, 'schedule:inspection', SCHEDULED_ATTEMPTS).catch((e: Error) => this.p.journal.event('warning', 'inspection.failed', null, `daily inspection not sent: ${e.message}`));
  }

  /** Build the report now and send it to `names` (default: the config's inspection.channels). */
  async send(names: string[] | null, actor: string, attempts = 1): Promise<InspectionSendView> {
    const configured = this.p.channels();
    const wanted = names ?? this.config?.channels ?? [];
    if (wanted.length === 0) throw new ApiError('bad-request', 'no channel to send the inspection to: set inspection.channels in the config or name one');
    const channels = wanted.map((n) => {
      const ch = configured.find((c) => c.name === n);
      if (!ch) throw new ApiError('not-found', `no channel named ${n} (configured: ${configured.map((c) => c.name).join(', ') || 'none'})`);
      return ch;
    });
    this.sending = true;
    try {
      const m = this.message();
      const deliveries = await Promise.all(channels.map((ch) => this.deliver(ch, m, attempts)));
      const failed = deliveries.filter((d) => !d.ok);
      const to = deliveries.map((d) => `${d.channel}${d.ok ? '' : ` (failed: ${d.error})`}`).join(', ');
      this.p.journal.event(failed.length ? 'warning' : 'info', failed.length ? 'inspection.failed' : 'inspection.sent', null, `daily inspection (${m.findings.length} finding(s)) sent to ${to}`, { channels: wanted, actor });
      if (!actor.startsWith('schedule:')) this.p.journal.audit(actor, 'inspection.send', wanted.join(','), failed.length ? `failed: ${failed.map((d) => d.channel).join(', ')}` : 'ok', { findings: m.findings.length });
      return { subject: m.subject, findings: m.findings, deliveries };
    } finally {
      this.sending = false;
    }
  }

  private message(): ReportMessage {
    const now = this.p.clock.now();
    const r = buildInspection(this.p.snapshot(), this.p.inspection(), this.p.openAlarms(), new Date(now));
    const subject = `${r.title}: ${r.findings.length ? `${r.findings.length} finding(s)` : 'all good'}`;
    return { kind: 'inspection', hub: this.p.hubName, time: new Date(now).toISOString(), subject, findings: r.findings, markdown: inspectionMarkdown(r), html: inspectionHtml(r), data: r };
  }

  private async deliver(ch: ChannelConfig, m: ReportMessage, attempts: number): Promise<AlarmDeliveryView> {
    const sleep = this.p.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
    let error: string | null = null;
    let attempt = 0;
    while (attempt < attempts && !this.abort.signal.aborted) {
      attempt++;
      try {
        await sendReport(ch, m, this.abort.signal);
        error = null;
        break;
      } catch (e) {
        error = (e as Error).message.split('\n')[0] ?? 'delivery failed';
      }
      if (attempt < attempts) await sleep(RETRY_DELAY_MS);
    }
    return { channel: ch.name, transition: 'inspection', ok: error === null && attempt > 0, attempts: attempt, error: attempt === 0 ? 'not sent: hub stopping' : error, time: this.p.clock.iso() };
  }
}
