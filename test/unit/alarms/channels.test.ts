import { describe, expect, it } from 'vitest';
import { CHANNELS, createNotifier } from '../../../src/alarms/notifiers/index.js';
import { CHANNEL_TYPES, WEBHOOK_CHANNEL_TYPES, type ChannelConfig } from '../../../src/config/types.js';

const base = { levels: [], hosts: [] };

function channelOf(type: (typeof CHANNEL_TYPES)[number]): ChannelConfig {
  if (type === 'email') return { ...base, name: type, type, smtp: { host: 'mail', port: 25, secure: false, user: null, pass: null }, from: 'drc@example.com', to: ['ops@example.com'] };
  if (type === 'sms') return { ...base, name: type, type, url: 'http://sms.example/send', method: 'POST', body: null, to: ['+100'] };
  return { ...base, name: type, type, url: 'http://hooks.example/x' };
}

describe('channel registry', () => {
  it('has exactly one channel kind for every channel type the configuration accepts', () => {
    expect(Object.keys(CHANNELS).sort()).toEqual([...CHANNEL_TYPES].sort());
    for (const t of WEBHOOK_CHANNEL_TYPES) expect(CHANNEL_TYPES).toContain(t);
  });

  it('makes each configured channel a notifier that delivers to that channel', () => {
    for (const type of CHANNEL_TYPES) {
      const ch = channelOf(type);
      const n = createNotifier(ch);
      expect(n.channel).toBe(ch);
      expect(typeof n.send).toBe('function');
    }
  });
});
