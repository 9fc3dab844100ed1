// Real delivery: each webhook flavour to a local HTTP server, email to a real SMTP server
// process, SMS through a gateway template, and retries with backoff on a failing endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher, routeChannels, type DeliveryAttempt } from '../../src/alarms/delivery.js';
import { createNotifier } from '../../src/alarms/notifiers/index.js';
import type { AlarmNotice } from '../../src/alarms/notifiers/types.js';
import type { ChannelConfig, WebhookChannelConfig } from '../../src/config/types.js';
import type { AlarmView } from '../../src/protocol/operator.js';
import { HttpReceiver, SmtpSink } from '../helpers/receivers.js';
import { waitFor } from '../helpers/cluster.js';
import { freePort } from './support.js';

const alarm: AlarmView = {
  id: 7, key: 'host-disconnected|web-01|', rule: 'host-disconnected', level: 'critical', state: 'firing', host: 'web-01', subject: null,
  message: 'host web-01 disconnected', value: null, firedAt: '2025-03-01T10:00:00.000Z', lastFiredAt: '2025-03-01T10:00:00.000Z', count: 1,
  flapping: false, ackedAt: null, ackedBy: null, ackNote: null, resolvedAt: null, resolvedBy: null, resolveNote: null,
  sla: { ackWithinSeconds: 900, dueAt: '2025-03-01T10:15:00.000Z', breached: false }, deliveries: [],
};
const fired: AlarmNotice = { kind: 'fired', hub: 'dr-hub-1', time: '2025-03-01T10:00:00.000Z', actor: 'system:alarms', note: null, alarm };
const resolved: AlarmNotice = { ...fired, kind: 'resolved', alarm: { ...alarm, state: 'resolved', resolvedAt: '2025-03-01T10:05:00.000Z' } };
const SUMMARY = '[FIRING] critical host-disconnected on web-01: host web-01 disconnected';

const base = { levels: [], hosts: [] };
const webhook = (type: WebhookChannelConfig['type'], url: string): ChannelConfig => ({ ...base, name: type, type, url });

function dispatcher(channels: ChannelConfig[], log: DeliveryAttempt[], delays: number[] = []) {
  return new Dispatcher({
    notifiers: channels.map(createNotifier),
    clock: () => Date.parse('2025-03-01T10:00:00Z'),
    retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 3000 },
    sleep: async (ms) => void delays.push(ms),
    record: (a) => log.push(a),
  });
}

let http: HttpReceiver;
beforeAll(async () => {
  http = await new HttpReceiver().start();
});
afterAll(() => http.close());

describe('webhook flavours', () => {
  it('posts the generic JSON payload with the whole alarm', async () => {
    const log: DeliveryAttempt[] = [];
    const d = dispatcher([webhook('webhook', `${http.url}/generic`)], log);
    const r = await d.deliver(d.notifier('webhook')!, fired);
    expect(r).toMatchObject({ channel: 'webhook', ok: true, attempts: 1, error: null });
    const req = http.requests.find((x) => x.url === '/generic')!;
    expect(req.contentType).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ source: 'drc', version: 1, hub: 'dr-hub-1', kind: 'fired', time: fired.time, actor: 'system:alarms', note: null, summary: SUMMARY, alarm });
    expect(log).toEqual([expect.objectContaining({ alarmId: 7, channel: 'webhook', transition: 'fired', attempt: 1, ok: true })]);
  });

  it('posts Slack text with a coloured attachment, green once resolved', async () => {
    const d = dispatcher([webhook('slack', `${http.url}/slack`)], []);
    await d.deliver(d.notifier('slack')!, fired);
    await d.deliver(d.notifier('slack')!, resolved);
    const [a, b] = http.requests.filter((x) => x.url === '/slack').map((x) => JSON.parse(x.body) as { text: string; attachments: { color: string; title: string; fields: { title: string; value: string }[] }[] });
    expect(a!.text).toBe(SUMMARY);
    expect(a!.attachments[0]).toMatchObject({ color: '#d00000', title: 'host-disconnected on web-01' });
    expect(a!.attachments[0]!.fields).toContainEqual({ title: 'Level', value: 'critical', short: true });
    expect(b!.text).toMatch(/^\[RESOLVED\]/);
    expect(b!.attachments[0]!.color).toBe('#2eb886');
  });

  it('posts DingTalk and WeCom markdown messages', async () => {
    const d = dispatcher([webhook('dingtalk', `${http.url}/ding`), webhook('wecom', `${http.url}/wecom`)], []);
    await d.deliver(d.notifier('dingtalk')!, fired);
    await d.deliver(d.notifier('wecom')!, fired);
    const ding = JSON.parse(http.requests.find((x) => x.url === '/ding')!.body) as { msgtype: string; markdown: { title: string; text: string } };
    expect(ding.msgtype).toBe('markdown');
    expect(ding.markdown.title).toBe(SUMMARY.slice(0, 64));
    expect(ding.markdown.text).toContain('- **Host**: web-01');
    const wecom = JSON.parse(http.requests.find((x) => x.url === '/wecom')!.body) as { msgtype: string; markdown: { content: string } };
    expect(wecom).toEqual({ msgtype: 'markdown', markdown: { content: ding.markdown.text } });
  });

  it('counts a DingTalk reply with a non-zero errcode as a failed delivery', async () => {
    http.replies.push({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' });
    const d = dispatcher([webhook('dingtalk', `${http.url}/ding-bad`)], []);
    const r = await d.deliver(d.notifier('dingtalk')!, fired, { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 });
    expect(r).toMatchObject({ ok: false, error: 'dingtalk refused the message: errcode 310000 sign not match' });
  });

  it('posts Alertmanager alerts with labels, and endsAt once resolved', async () => {
    const d = dispatcher([webhook('alertmanager', `${http.url}/api/v2/alerts`)], []);
    await d.deliver(d.notifier('alertmanager')!, fired);
    await d.deliver(d.notifier('alertmanager')!, resolved);
    const [a, b] = http.requests.filter((x) => x.url === '/api/v2/alerts').map((x) => JSON.parse(x.body) as Record<string, unknown>[]);
    expect(a).toEqual([
      {
        labels: { alertname: 'host-disconnected', severity: 'critical', source: 'drc', hub: 'dr-hub-1', drc_alarm_id: '7', host: 'web-01' },
        annotations: { summary: SUMMARY, description: 'host web-01 disconnected', state: 'firing' },
        startsAt: '2025-03-01T10:00:00.000Z',
      },
    ]);
    expect(b![0]).toMatchObject({ endsAt: '2025-03-01T10:05:00.000Z' });
  });
});

describe('retries', () => {
  it('retries a failing endpoint with exponential backoff until it answers', async () => {
    http.replies.push({ status: 500, body: 'boom' }, { status: 503 });
    const log: DeliveryAttempt[] = [];
    const delays: number[] = [];
    const d = dispatcher([webhook('webhook', `${http.url}/flaky`)], log, delays);
    const r = await d.deliver(d.notifier('webhook')!, fired);
    expect(r).toMatchObject({ ok: true, attempts: 3, error: null });
    expect(delays).toEqual([1000, 2000]);
    expect(log.map((a) => [a.attempt, a.ok, a.error])).toEqual([
      [1, false, `HTTP 500 from ${http.url}/flaky: boom`],
      [2, false, `HTTP 503 from ${http.url}/flaky`],
      [3, true, null],
    ]);
  });

  it('gives up after the last attempt and reports the last error', async () => {
    const log: DeliveryAttempt[] = [];
    const delays: number[] = [];
    const port = await freePort();
    const d = dispatcher([webhook('webhook', `http://127.0.0.1:${port}/down`)], log, delays);
    const r = await d.deliver(d.notifier('webhook')!, fired);
    expect(r).toMatchObject({ ok: false, attempts: 4, error: `POST http://127.0.0.1:${port}/down: ECONNREFUSED` });
    expect(delays).toEqual([1000, 2000, 3000]);
    expect(log.every((a) => !a.ok)).toBe(true);
  });
});

describe('routing', () => {
  it('sends to the rule channels, filtered by each channel levels and host selectors', () => {
    const chans: ChannelConfig[] = [
      { ...webhook('webhook', 'http://x'), name: 'all' },
      { ...webhook('webhook', 'http://x'), name: 'urgent-only', levels: ['urgent'] },
      { ...webhook('webhook', 'http://x'), name: 'db-team', hosts: ['db-*'] },
    ];
    const h = { name: 'web-01', tags: [], tier: null };
    expect(routeChannels(chans, [], 'critical', h).map((c) => c.name)).toEqual(['all']);
    expect(routeChannels(chans, [], 'urgent', h).map((c) => c.name)).toEqual(['all', 'urgent-only']);
    expect(routeChannels(chans, ['db-team'], 'critical', { ...h, name: 'db-01' }).map((c) => c.name)).toEqual(['db-team']);
  });
});

describe('SMS gateway', () => {
  it('renders the JSON body template per recipient and posts it', async () => {
    const ch: ChannelConfig = { ...base, name: 'pager', type: 'sms', url: `${http.url}/sms`, method: 'POST', body: '{"to":"{{to}}","text":"{{summary}}","sev":"{{level}}"}', to: ['+15551234567', '+15557654321'] };
    const d = dispatcher([ch], []);
    expect(await d.deliver(d.notifier('pager')!, fired)).toMatchObject({ ok: true });
    const sms = http.requests.filter((x) => x.url === '/sms').map((x) => JSON.parse(x.body) as Record<string, string>);
    expect(sms).toEqual([
      { to: '+15551234567', text: SUMMARY, sev: 'critical' },
      { to: '+15557654321', text: SUMMARY, sev: 'critical' },
    ]);
  });

  it('fills a GET gateway URL with URL-encoded values', async () => {
    const ch: ChannelConfig = { ...base, name: 'sms-get', type: 'sms', url: `${http.url}/send?to={{to}}&msg={{summary}}`, method: 'GET', body: null, to: ['+1 555'] };
    const d = dispatcher([ch], []);
    await d.deliver(d.notifier('sms-get')!, fired);
    const req = http.requests.find((x) => x.url.startsWith('/send?'))!;
    expect(req.method).toBe('GET');
    const q = new URL(req.url, http.url).searchParams;
    expect(q.get('to')).toBe('+1 555');
    expect(q.get('msg')).toBe(SUMMARY);
  });
});

describe('email', () => {
  it('delivers the alarm to a real SMTP server with the summary as subject', async () => {
    const smtp = await new SmtpSink().start();
    try {
      const ch: ChannelConfig = { ...base, name: 'ops-mail', type: 'email', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: null, pass: null }, from: 'drc@example.com', to: ['ops@example.com', 'oncall@example.com'] };
      const d = dispatcher([ch], []);
      expect(await d.deliver(d.notifier('ops-mail')!, fired)).toMatchObject({ ok: true, attempts: 1 });
      const mail = await waitFor('the mail', () => smtp.mails[0]);
      expect(mail.from).toBe('drc@example.com');
      expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);
      const unfolded = mail.data.replace(/\r\n[ \t]+/g, ' ');
      expect(unfolded).toContain(`Subject: ${SUMMARY}`);
      expect(unfolded).toMatch(/^X-DRC-Alarm: 7\r$/im);
      expect(unfolded).toContain('Host: web-01');
    } finally {
      await smtp.stop();
    }
  });

  it('reports an SMTP server that is not there as a one-line delivery error', async () => {
    const ch: ChannelConfig = { ...base, name: 'no-mail', type: 'email', smtp: { host: '127.0.0.1', port: 9, secure: false, user: null, pass: null }, from: 'drc@example.com', to: ['ops@example.com'] };
    const d = dispatcher([ch], []);
    const r = await d.deliver(d.notifier('no-mail')!, fired, { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^SMTP 127\.0\.0\.1:9: .*ECONNREFUSED/);
    expect(r.error).not.toContain('\n');
  });
});
