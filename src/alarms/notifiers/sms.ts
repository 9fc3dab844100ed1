// SMS through an HTTP gateway: the channel's URL and body are templates with {{name}}
// placeholders (to, summary, message, level, rule, host, state, id, time, hub); one request per
// recipient. Values are URL-encoded in the URL and JSON-escaped in a JSON body.
import type { SmsChannelConfig } from '../../config/types.js';
import { httpSend } from './http.js';
import { summary } from './payloads.js';
import type { AlarmNotice, ChannelKind, Notifier } from './types.js';

export const DEFAULT_SMS_BODY = '{"to":"{{to}}","text":"{{summary}}"}';
/** Most gateways cut or refuse longer texts. */
const SMS_MAX_CHARS = 300;

export function smsVariables(n: AlarmNotice, to: string): Record<string, string> {
  const a = n.alarm;
  return {
    to,
    summary: summary(n).slice(0, SMS_MAX_CHARS),
    message: a.message,
    level: a.level,
    rule: a.rule,
    host: a.host ?? '',
    state: a.state,
    id: String(a.id),
    time: n.time,
    hub: n.hub,
    kind: n.kind,
  };
}

export function renderTemplate(template: string, vars: Record<string, string>, escape: (v: string) => string): string {
  return template.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (whole, name: string) => (Object.hasOwn(vars, name) ? escape(vars[name]!) : whole));
}

const jsonEscape = (v: string): string => JSON.stringify(v).slice(1, -1);
const formEscape = (v: string): string => encodeURIComponent(v);

/** The request for one recipient: URL and body with placeholders filled in. */
export function smsRequest(ch: SmsChannelConfig, n: AlarmNotice, to: string): { url: string; body: string | undefined; contentType: string } {
  return smsRequestOf(ch, smsVariables(n, to));
}

/** The request with these placeholder values (an alarm's, or a report's). */
export function smsRequestOf(ch: SmsChannelConfig, vars: Record<string, string>): { url: string; body: string | undefined; contentType: string } {
  const url = renderTemplate(ch.url, vars, formEscape);
  if (ch.method === 'GET') return { url, body: undefined, contentType: 'text/plain' };
  const template = ch.body ?? DEFAULT_SMS_BODY;
  const json = /^\s*[[{]/.test(template);
  return {
    url,
    body: renderTemplate(template, vars, json ? jsonEscape : formEscape),
    contentType: json ? 'application/json' : 'application/x-www-form-urlencoded',
  };
}

export class SmsNotifier implements Notifier {
  constructor(readonly channel: SmsChannelConfig) {}

  async send(n: AlarmNotice, signal?: AbortSignal): Promise<void> {
    for (const to of this.channel.to) {
      const r = smsRequest(this.channel, n, to);
      await httpSend(r.url, { method: this.channel.method, body: r.body, contentType: r.contentType, signal });
    }
  }
}

export const smsChannel: ChannelKind<SmsChannelConfig> = { create: (channel) => new SmsNotifier(channel) };
