// A running hub takes a changed config without a restart: `drc config reload` (and SIGHUP)
// applies a new schedule and a new channel at once — the schedule fires on its new cron, the
// morning inspection goes out by e-mail through a real SMTP server — names what needs a
// restart, and refuses a broken file with its file:line:col while the hub keeps running.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigReloadView, InspectionSendView } from '../../src/protocol/operator.js';
import { HubProc, waitFor } from '../helpers/cluster.js';
import { HttpReceiver, SmtpSink } from '../helpers/receivers.js';
import { Cluster, withCatalog } from './support.js';

function config(o: { cron: string; name?: string; mail?: number; hook: string; inspectionCron?: string; broken?: boolean }): string {
  return [
    ...(o.name ? ['hub:', `  name: ${o.name}`] : []),
    'schedules:',
    '  - name: nightly',
    `    cron: "${o.broken ? '61 * * * *' : o.cron}"`,
    '    targets: ["*"]',
    'channels:',
    '  - name: hook',
    '    type: webhook',
    `    url: ${o.hook}`,
    ...(o.mail ? ['  - name: mail', '    type: email', `    smtp: { host: 127.0.0.1, port: ${o.mail} }`, '    from: drc@example.com', '    to: [ops@example.com]'] : []),
    'inspection:',
    ...(o.inspectionCron ? [`  cron: "${o.inspectionCron}"`] : []),
    `  channels: [${o.mail ? 'mail' : 'hook'}]`,
    '',
  ].join('\n');
}

function fired(dataDir: string, schedule: string): number {
  return withCatalog(dataDir, (db) => (db.prepare("SELECT count(*) AS n FROM events WHERE kind = 'schedule.fired' AND message LIKE ?").get(`schedule ${schedule}:%`) as { n: number }).n);
}

describe('config reload', () => {
  const c = new Cluster();
  let hub: HubProc;
  let smtp: SmtpSink;
  let hook: HttpReceiver;
  const file = c.file('drc.yaml');
  const clock = c.file('clock');

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    hook = await new HttpReceiver().start();
    fs.writeFileSync(file, config({ cron: '0 3 * * *', hook: hook.url }));
    fs.writeFileSync(clock, '0');
    process.env.DRC_TEST_CLOCK_FILE = clock;
    hub = await c.startHub(new HubProc(c.hubData, ['--config', file]));
    delete process.env.DRC_TEST_CLOCK_FILE;
    await hub.addHost('h1');
  });

  afterAll(async () => {
    await c.stop();
    await smtp.stop();
    await hook.close();
  });

  it('applies a changed schedule and a new e-mail channel at once, and names what needs a restart', async () => {
    fs.writeFileSync(file, config({ cron: '* * * * *', name: 'renamed-hub', mail: smtp.port, hook: hook.url, inspectionCron: '* * * * *' }));
    const r = await hub.json<ConfigReloadView>(['config', 'reload']);
    expect(r.file).toBe(file);
    expect(r.applied).toEqual(expect.arrayContaining(['schedules', 'channels', 'inspection']));
    expect(r.restartNeeded).toEqual(['hub.name']);

    const [nightly] = await hub.json<{ name: string; next: string }[]>(['schedules']);
    const next = Date.parse(nightly!.next);
    expect(next - Date.now()).toBeLessThanOrEqual(60_000);
    // move the hub's clock just past the new cron's next minute: the schedule fires and the inspection is mailed
    fs.writeFileSync(clock, String(next + 1000 - Date.now()));
    await waitFor('the nightly schedule to fire on its new cron', () => fired(hub.dataDir, 'nightly') === 1);
    const mail = await waitFor('the scheduled inspection mail', () => smtp.mails[0]);
    expect(mail.to).toEqual(['ops@example.com']);
    expect(mail.data).toMatch(/^Subject: Daily inspection of drc-hub: /m);
    expect(mail.data).toContain('text/html');
    expect(mail.data).toContain('Needs attention');
  });

  it('sends the inspection now with drc inspect --send', async () => {
    const before = smtp.mails.length;
    const r = await hub.json<InspectionSendView>(['inspect', '--send']);
    expect(r.deliveries.map((d) => [d.channel, d.ok])).toEqual([['mail', true]]);
    await waitFor('the second mail', () => smtp.mails.length > before);
    const hooked = await hub.json<InspectionSendView>(['inspect', '--send', '--channel', 'hook']);
    expect(hooked.deliveries.map((d) => [d.channel, d.ok])).toEqual([['hook', true]]);
    const body = hook.json<{ kind: string; summary: string; report: { findings: string[] } }>(hook.requests.length - 1);
    expect(body.kind).toBe('inspection');
    expect(body.summary).toMatch(/^Daily inspection of drc-hub: /);
    expect(body.report.findings).toEqual(r.findings);
  });

  it('refuses a broken config with file:line:col (exit 2) and keeps running on the config it had', async () => {
    fs.writeFileSync(file, config({ cron: '* * * * *', mail: smtp.port, hook: hook.url, broken: true }));
    const r = await hub.run(['config', 'reload']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}:3:11: schedules[0].cron "61 * * * *" is out of range`);
    expect(r.stderr).toContain('the running config stays');
    expect(hub.proc.exitCode).toBeNull();
    const [nightly] = await hub.json<{ cron: string }[]>(['schedules']);
    expect(nightly!.cron).toBe('* * * * *');
    const audit = await hub.json<{ action: string; outcome: string }[]>(['audit']);
    expect(audit.filter((a) => a.action === 'config.reload').map((a) => a.outcome.split(':')[0])).toEqual(['ok', 'refused']);
  });

  it('reloads on SIGHUP, and a broken file then leaves the hub running as it was', async () => {
    hub.proc.kill('SIGHUP');
    await waitFor('the refusal in the hub log', () => hub.log.includes('config reload refused'));
    expect(hub.proc.exitCode).toBeNull();
    fs.writeFileSync(file, config({ cron: '0 4 * * *', mail: smtp.port, hook: hook.url }));
    hub.proc.kill('SIGHUP');
    await waitFor('the reload in the hub log', () => /config .* reloaded: applied schedules/.test(hub.log));
    const [nightly] = await hub.json<{ cron: string }[]>(['schedules']);
    expect(nightly!.cron).toBe('0 4 * * *');
    expect((await hub.run(['status', '--json'])).code).toBe(0);
  });
});
