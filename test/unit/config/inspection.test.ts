// The `inspection:` section: when the hub mails the daily inspection and through which
// channels; every mistake is one line with its file:line:col.
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';

const CHANNELS = ['channels:', '  - { name: ops-mail, type: email, smtp: { host: mail }, from: drc@example.com, to: [ops@example.com] }'];
const read = (lines: string[]) => parseConfig(lines.map((l) => `${l}\n`).join(''), 'drc.yaml');

describe('the inspection section', () => {
  test('reads the cron, its time zone and the channels', () => {
    const c = read([...CHANNELS, 'inspection:', '  cron: "30 6 * * 1-5"', '  timezone: Europe/Berlin', '  channels: [ops-mail]']);
    expect(c.inspection).toEqual({ cron: '30 6 * * 1-5', timezone: 'Europe/Berlin', channels: ['ops-mail'] });
  });

  test('without a cron it is sent only on demand, in UTC times', () => {
    expect(read([...CHANNELS, 'inspection: { channels: [ops-mail] }']).inspection).toEqual({ cron: null, timezone: 'UTC', channels: ['ops-mail'] });
  });

  test('is absent when the file has no inspection section', () => {
    expect(read(CHANNELS).inspection).toBeUndefined();
  });

  test.each([
    ['a channel that is not defined', ['inspection:', '  channels: [ops-chat]'], 'drc.yaml:4:14: inspection.channels[0] "ops-chat" is not a defined channel (one of: ops-mail)'],
    ['an out-of-range cron', ['inspection:', '  cron: "0 25 * * *"', '  channels: [ops-mail]'], 'drc.yaml:4:9: inspection.cron "0 25 * * *" is out of range'],
    ['no channels', ['inspection:', '  cron: "0 7 * * *"'], 'drc.yaml:4:3: inspection is missing required key "channels"'],
    ['an unknown key', ['inspection:', '  chanels: [ops-mail]'], 'drc.yaml:4:3: unknown key "chanels" in inspection'],
  ])('refuses %s with its place in the file', (_what, lines, message) => {
    expect(() => read([...CHANNELS, ...lines])).toThrow(message);
  });
});
