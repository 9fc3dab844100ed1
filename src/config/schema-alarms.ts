/**
 * The `alarms` (rules) and `channels` (notification targets) sections.
 */
import {
  definedName,
  bool,
  int,
  listOf,
  matching,
  name,
  num,
  oneOf,
  readMapping,
  reference,
  rejectKeys,
  requireKeys,
  str,
  stringList,
  uniqueListOf,
  url,
  type ValueReader,
} from './yaml-readers.js';
import {
  ALARM_EVENTS,
  ALARM_LEVELS,
  ALARM_METRICS,
  ALARM_OPS,
  CHANNEL_TYPES,
  type AlarmRuleConfig,
  type ChannelConfig,
  type SmtpConfig,
} from './types.js';
import { duration } from './values.js';

const readAlarmRule: ValueReader<AlarmRuleConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    metric: oneOf(ALARM_METRICS, 'metric'),
    event: oneOf(ALARM_EVENTS, 'event'),
    op: oneOf(ALARM_OPS, 'operator'),
    threshold: num,
    for: duration,
    level: oneOf(ALARM_LEVELS, 'level'),
    hosts: stringList,
    result: str,
    process: str,
    window: duration,
    channels: listOf(reference('channel')),
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [['name', 'expected a string']]);
  if (!m.has('metric') && !m.has('event')) {
    r.fail(m.node, `${path} is missing required key "metric" or "event"`, 'expected exactly one of them');
  }
  requireKeys(r, m, [['level', `expected one of: ${ALARM_LEVELS.join(', ')}`]]);
  if (m.has('metric')) {
    rejectKeys(r, m, ['event'], 'is set together with metric', 'expected exactly one of metric and event');
  } else if (m.has('event')) {
    rejectKeys(r, m, ['op', 'threshold', 'process'], 'does not apply to event rules', 'expected only with metric');
  }
  const v = m.values;
  if (v.metric === 'process') {
    requireKeys(r, m, [['process', 'expected the process name for metric: process']]);
  } else if (v.metric !== undefined) {
    rejectKeys(r, m, ['process'], `does not apply to metric "${v.metric}"`, 'expected only with metric: process');
  }
  if (v.name === undefined || v.level === undefined) return undefined;
  const base = {
    name: v.name,
    level: v.level,
    for: v.for ?? 0,
    window: v.window ?? null,
    hosts: v.hosts ?? [],
    result: v.result ?? null,
    channels: v.channels ?? [],
  };
  if (v.metric !== undefined) {
    return { ...base, kind: 'metric', metric: v.metric, op: v.op ?? '>', threshold: v.threshold ?? null, process: v.process ?? null };
  }
  return v.event === undefined ? undefined : { ...base, kind: 'event', event: v.event };
};

export const readAlarms: ValueReader<AlarmRuleConfig[]> = uniqueListOf(readAlarmRule, 'alarm');

const readSmtp: ValueReader<SmtpConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { host: str, port: int(1, 65535), secure: bool, user: str, pass: str });
  if (m === undefined) return undefined;
  requireKeys(r, m, [['host', 'expected the SMTP server host name']]);
  if (m.has('user') || m.has('pass')) {
    requireKeys(r, m, [
      ['user', 'expected user and pass together'],
      ['pass', 'expected user and pass together'],
    ]);
  }
  const v = m.values;
  if (v.host === undefined) return undefined;
  const secure = v.secure ?? false;
  return { host: v.host, port: v.port ?? (secure ? 465 : 25), secure, user: v.user ?? null, pass: v.pass ?? null };
};

const email = matching(/^[^@\s]+@[^@\s]+$|<[^@\s<>]+@[^@\s<>]+>$/, 'email address', 'expected an address such as drc@example.com');

/** Keys each channel type accepts besides name, type, levels and hosts. */
const TYPE_KEYS = {
  webhook: ['url'],
  sms: ['url', 'method', 'body', 'to'],
  email: ['smtp', 'from', 'to'],
} as const;
const REQUIRED_KEYS = {
  webhook: [['url', 'an http:// or https:// URL']],
  sms: [
    ['url', 'an http:// or https:// URL'],
    ['to', 'a non-empty list of recipients'],
  ],
  email: [
    ['smtp', 'an smtp mapping with at least host'],
    ['from', 'a sender address'],
    ['to', 'a non-empty list of recipients'],
  ],
} as const;
const TYPE_SPECIFIC = ['url', 'method', 'body', 'smtp', 'from', 'to'] as const;

const readChannel: ValueReader<ChannelConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name: definedName('channel'),
    type: oneOf(CHANNEL_TYPES, 'channel type'),
    url: url(['http:', 'https:']),
    method: oneOf(['GET', 'POST'] as const, 'method'),
    body: str,
    smtp: readSmtp,
    from: email,
    to: listOf(str, { nonEmpty: true }),
    levels: listOf(oneOf(ALARM_LEVELS, 'level')),
    hosts: stringList,
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['type', `expected one of: ${CHANNEL_TYPES.join(', ')}`],
  ]);
  const v = m.values;
  if (v.type === undefined) return undefined;
  // every type not listed in TYPE_KEYS is a webhook flavour (config/types.ts WEBHOOK_CHANNEL_TYPES)
  const family = v.type === 'email' || v.type === 'sms' ? v.type : 'webhook';
  const allowed: readonly string[] = TYPE_KEYS[family];
  rejectKeys(
    r,
    m,
    TYPE_SPECIFIC.filter((k) => !allowed.includes(k)),
    `does not apply to ${v.type} channels`,
    `expected only ${allowed.join(', ')} besides name, type, levels, hosts`,
  );
  requireKeys(r, m, REQUIRED_KEYS[family].map(([key, what]) => [key, `expected ${what} for ${v.type} channels`] as const));
  if (v.name === undefined) return undefined;
  const base = { name: v.name, levels: v.levels ?? [], hosts: v.hosts ?? [] };
  switch (v.type) {
    case 'email':
      if (v.smtp === undefined || v.from === undefined || v.to === undefined) return undefined;
      return { ...base, type: v.type, smtp: v.smtp, from: v.from, to: v.to };
    case 'sms':
      if (v.url === undefined || v.to === undefined) return undefined;
      return { ...base, type: v.type, url: v.url, method: v.method ?? 'POST', body: v.body ?? null, to: v.to };
    default:
      if (v.url === undefined) return undefined;
      return { ...base, type: v.type, url: v.url };
  }
};

export const readChannels: ValueReader<ChannelConfig[]> = uniqueListOf(readChannel, 'channel');
