// Reports through the alarm channels (the morning inspection mail, a chat message): one
// sender per kind of channel, in a table that fails to compile when a kind is missing.
// E-mail carries the report itself (HTML with a Markdown alternative); chat robots get the
// findings in Markdown; webhooks the whole report as JSON; SMS one line.
import type { ChannelConfig, ChannelType, EmailChannelConfig, SmsChannelConfig, WebhookChannelConfig } from '../../config/types.js';
import { smtpTransport } from './email.js';
import { httpSend } from './http.js';
import { smsRequestOf } from './sms.js';
import { DeliveryError } from './types.js';
import { refusedByErrcode } from './webhook.js';

export interface ReportMessage {
  kind: 'inspection';
  hub: string;
  time: string;
  /** one line: `Daily inspection of hub-1: 2 finding(s)` */
  subject: string;
  /** what needs attention, one line each */
  findings: string[];
  markdown: string;
  html: string;
  /** the report as JSON (webhooks) */
  data: object;
}

type ConfigOf<T extends ChannelType> = ChannelConfig extends infer C ? (C extends ChannelConfig ? (T extends C['type'] ? C : never) : never) : never;
type ReportSender<C> = (channel: C, m: ReportMessage, signal?: AbortSignal) => Promise<void>;

/** chat robots refuse long messages (DingTalk 20 000 bytes, WeCom 4 096) */
const CHAT_MAX_CHARS = 3500;
const SMS_MAX_CHARS = 300;

function findingLines(m: ReportMessage): string[] {
  return [...(m.findings.length ? m.findings.map((f) => `- ${f}`) : ['- nothing needs attention']), '', `Hub ${m.hub}, ${m.time}`];
}

function findingsMarkdown(m: ReportMessage): string {
  return [`### ${m.subject}`, '', ...findingLines(m)].join('\n').slice(0, CHAT_MAX_CHARS);
}

async function post(ch: WebhookChannelConfig, body: unknown, signal: AbortSignal | undefined, check?: (text: string) => void): Promise<void> {
  const text = await httpSend(ch.url, { method: 'POST', body: JSON.stringify(body), signal });
  check?.(text);
}

async function email(ch: EmailChannelConfig, m: ReportMessage, signal?: AbortSignal): Promise<void> {
  const s = ch.smtp;
  const transport = smtpTransport(s);
  const abort = (): void => transport.close();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await transport.sendMail({ from: ch.from, to: ch.to.join(', '), subject: m.subject.slice(0, 200), text: m.markdown, html: m.html, headers: { 'X-DRC-Report': m.kind } });
  } catch (e) {
    throw new DeliveryError(`SMTP ${s.host}:${s.port}: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    signal?.removeEventListener('abort', abort);
    transport.close();
  }
}

async function sms(ch: SmsChannelConfig, m: ReportMessage, signal?: AbortSignal): Promise<void> {
  const summary = `${m.subject}${m.findings.length ? `: ${m.findings.join('; ')}` : ''}`.slice(0, SMS_MAX_CHARS);
  for (const to of ch.to) {
    const vars = { to, summary, message: summary, level: m.findings.length ? 'warning' : 'info', rule: m.kind, host: '', state: 'report', id: '0', time: m.time, hub: m.hub, kind: m.kind };
    const r = smsRequestOf(ch, vars);
    await httpSend(r.url, { method: ch.method, body: r.body, contentType: r.contentType, signal });
  }
}

export const REPORT_SENDERS: { readonly [T in ChannelType]: ReportSender<ConfigOf<T>> } = {
  webhook: (ch, m, signal) => post(ch, { source: 'drc', version: 1, kind: m.kind, hub: m.hub, time: m.time, summary: m.subject, findings: m.findings, report: m.data }, signal),
  slack: (ch, m, signal) => post(ch, { text: [`*${m.subject}*`, ...findingLines(m)].join('\n').slice(0, CHAT_MAX_CHARS) }, signal),
  dingtalk: (ch, m, signal) => post(ch, { msgtype: 'markdown', markdown: { title: m.subject.slice(0, 64), text: findingsMarkdown(m) } }, signal, refusedByErrcode('dingtalk')),
  wecom: (ch, m, signal) => post(ch, { msgtype: 'markdown', markdown: { content: findingsMarkdown(m) } }, signal, refusedByErrcode('wecom')),
  // an informational alert that ends at once: the receiver's routes decide where it goes
  alertmanager: (ch, m, signal) =>
    post(
      ch,
      [
        {
          labels: { alertname: 'drc-daily-inspection', severity: m.findings.length ? 'warning' : 'info', source: 'drc', hub: m.hub },
          annotations: { summary: m.subject, description: m.findings.join('\n') || 'nothing needs attention' },
          startsAt: m.time,
          endsAt: m.time,
        },
      ],
      signal,
    ),
  email,
  sms,
};

/** Send a report through one channel, once; throws DeliveryError. */
export function sendReport(channel: ChannelConfig, m: ReportMessage, signal?: AbortSignal): Promise<void> {
  const send = REPORT_SENDERS[channel.type] as ReportSender<ChannelConfig>;
  return send(channel, m, signal);
}
