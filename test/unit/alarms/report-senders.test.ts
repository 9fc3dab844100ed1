// The daily inspection through every kind of channel, each against a real HTTP receiver
// (e-mail against the real SMTP server is in test/integration/config-reload.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_SENDERS, sendReport, type ReportMessage } from '../../../src/alarms/notifiers/reports.js';
import { CHANNEL_TYPES, type ChannelConfig } from '../../../src/config/types.js';
import { HttpReceiver } from '../../helpers/receivers.js';

const base = { levels: [], hosts: [] };
const message: ReportMessage = {
  kind: 'inspection',
  hub: 'hub-1',
  time: '2026-03-01T07:00:00.000Z',
  subject: 'Daily inspection of hub-1: 2 finding(s)',
  findings: ['1 agent(s) not connected: web-01', '1 host(s) outside their RPO: db-01'],
  markdown: '# Daily inspection of hub-1',
  html: '<h1>Daily inspection of hub-1</h1>',
  data: { title: 'Daily inspection of hub-1', findings: ['1 agent(s) not connected: web-01', '1 host(s) outside their RPO: db-01'] },
};

describe('the inspection through channels', () => {
  const rx = new HttpReceiver();
  beforeAll(() => rx.start());
  afterAll(() => rx.close());

  const hook = (type: 'webhook' | 'slack' | 'dingtalk' | 'wecom' | 'alertmanager'): ChannelConfig => ({ ...base, name: type, type, url: `${rx.url}/${type}` });

  it('has a sender for every channel type the configuration accepts', () => {
    expect(Object.keys(REPORT_SENDERS).sort()).toEqual([...CHANNEL_TYPES].sort());
  });

  it('posts the whole report as JSON to a generic webhook', async () => {
    await sendReport(hook('webhook'), message);
    const body = rx.json<{ kind: string; summary: string; findings: string[]; report: unknown }>(rx.requests.length - 1);
    expect(body).toMatchObject({ kind: 'inspection', summary: message.subject, findings: message.findings, report: message.data });
  });

  it('puts the findings in the chat message of Slack, DingTalk and WeCom', async () => {
    for (const type of ['slack', 'dingtalk', 'wecom'] as const) {
      await sendReport(hook(type), message);
      const r = rx.requests.at(-1)!;
      expect(r.url).toBe(`/${type}`);
      expect(r.body).toContain('Daily inspection of hub-1: 2 finding(s)');
      expect(r.body).toContain('- 1 host(s) outside their RPO: db-01');
    }
  });

  it('raises a warning alert in Alertmanager that ends at once when there are findings', async () => {
    await sendReport(hook('alertmanager'), message);
    const [alert] = rx.json<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }[]>(rx.requests.length - 1);
    expect(alert!.labels).toMatchObject({ alertname: 'drc-daily-inspection', severity: 'warning', hub: 'hub-1' });
    expect(alert!.annotations.description).toBe(message.findings.join('\n'));
    expect(alert!.endsAt).toBe(alert!.startsAt);
  });

  it('texts one line per recipient through an SMS gateway', async () => {
    await sendReport({ ...base, name: 'sms', type: 'sms', url: `${rx.url}/sms`, method: 'POST', body: null, to: ['+100', '+200'] }, message);
    const [a, b] = rx.requests.slice(-2).map((r) => JSON.parse(r.body) as { to: string; text: string });
    expect([a!.to, b!.to]).toEqual(['+100', '+200']);
    expect(a!.text).toBe(`${message.subject}: ${message.findings.join('; ')}`);
  });

  it('fails with one line when the chat robot refuses the message', async () => {
    rx.replies.push({ status: 200, body: '{"errcode":310000,"errmsg":"keywords not in content"}' });
    await expect(sendReport(hook('dingtalk'), message)).rejects.toThrow(/^dingtalk refused the message: errcode 310000 keywords not in content$/);
  });
});
