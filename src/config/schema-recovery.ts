/**
 * The recovery sections: `targets` (where restores go), `checks` (what proves a
 * restored host works) and `plans` (recovery groups with a boot order).
 */
import { DEFAULT_CHECK_TIMEOUT_SECONDS, DEFAULT_DRILL_TTL_SECONDS, DEFAULT_SWITCH_TIMEOUT_SECONDS } from './defaults.js';
import { definedName, int, listOf, localPath, name, oneOf, readMapping, reference, rejectKeys, requireKeys, str, stringList, uniqueListOf, url, type ValueReader } from './yaml-readers.js';
import {
  CHECK_TYPES,
  IMAGE_FORMATS,
  TARGET_PURPOSES,
  type CheckConfig,
  type PlanConfig,
  type PlanGroupConfig,
  type RecoveryConfig,
  type SwitchHookConfig,
  type TargetConfig,
} from './types.js';
import { QEMU_TARGET_KEYS, qemuTarget } from './schema-qemu.js';
import { connectAddress, duration, positiveDuration } from './values.js';

const TARGET_TYPES = ['directory', 'command', 'qemu'] as const;
const QEMU_ONLY = Object.keys(QEMU_TARGET_KEYS) as (keyof typeof QEMU_TARGET_KEYS)[];

const readTarget: ValueReader<TargetConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    type: oneOf(TARGET_TYPES, 'target type'),
    path: localPath,
    format: oneOf(IMAGE_FORMATS, 'image format'),
    command: str,
    purpose: oneOf(TARGET_PURPOSES, 'purpose'),
    ...QEMU_TARGET_KEYS,
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['type', `expected one of: ${TARGET_TYPES.join(', ')}`],
  ]);
  const v = m.values;
  if (v.type === 'directory' || v.type === 'qemu') {
    rejectKeys(r, m, ['command'], `does not apply to ${v.type} targets`, 'expected only with type: command');
    requireKeys(r, m, [['path', `expected a directory for ${v.type} targets`]]);
  } else if (v.type === 'command') {
    rejectKeys(r, m, ['path'], 'does not apply to command targets', 'expected only with type: directory or qemu');
    requireKeys(r, m, [['command', 'expected a shell command for command targets']]);
  }
  if (v.type !== undefined && v.type !== 'qemu') rejectKeys(r, m, QEMU_ONLY, `does not apply to ${v.type} targets`, 'expected only with type: qemu');
  if (v.name === undefined) return undefined;
  const base = { name: v.name, format: v.format ?? 'raw', purpose: v.purpose ?? 'both' };
  if (v.type === 'directory' && v.path !== undefined) return { ...base, type: 'directory', path: v.path };
  if (v.type === 'command' && v.command !== undefined) return { ...base, type: 'command', command: v.command };
  if (v.type === 'qemu' && v.path !== undefined) {
    const q = qemuTarget(r, v, (k) => m.nodeOf(k as keyof typeof QEMU_TARGET_KEYS), path, base.purpose);
    return q && { ...base, ...q, type: 'qemu', path: v.path };
  }
  return undefined;
};

export const readTargets: ValueReader<TargetConfig[]> = uniqueListOf(readTarget, 'target');

const CHECK_KEYS = ['command', 'address', 'url', 'expect_status', 'console'] as const;
const CHECK_REQUIRED: Readonly<Record<string, readonly [(typeof CHECK_KEYS)[number], string] | undefined>> = {
  command: ['command', 'expected a shell command for command checks'],
  tcp: ['address', 'expected HOST:PORT for tcp checks'],
  http: ['url', 'expected an http:// or https:// URL for http checks'],
  boot: ['console', 'expected a regular expression the serial console must match'],
};

const regex: ValueReader<string> = (r, raw, path) => {
  const text = str(r, raw, path);
  if (text === undefined) return undefined;
  try {
    new RegExp(text);
    return text;
  } catch (e) {
    return r.fail(r.deref(raw), `${path} is not a valid regular expression (${(e as Error).message})`, 'expected a JavaScript regular expression');
  }
};

const readCheck: ValueReader<CheckConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name: definedName('check'),
    type: oneOf(CHECK_TYPES, 'check type'),
    kind: oneOf(CHECK_TYPES, 'check kind'),
    command: str,
    console: regex,
    address: connectAddress,
    url: url(['http:', 'https:']),
    expect_status: int(100, 599),
    timeout: positiveDuration,
    hosts: stringList,
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [['name', 'expected a string']]);
  if (m.has('type') && m.has('kind')) r.fail(m.nodeOf('kind'), `${path}.kind cannot be combined with type`, 'expected one of type, kind');
  else if (!m.has('type') && !m.has('kind')) r.fail(m.node, `${path} is missing required key "type"`, `expected one of: ${CHECK_TYPES.join(', ')}`);
  const v = { ...m.values, type: m.values.type ?? m.values.kind };
  if (v.type !== undefined) {
    const required = CHECK_REQUIRED[v.type];
    const allowed: readonly string[] = v.type === 'http' ? ['url', 'expect_status'] : required ? [required[0]] : [];
    rejectKeys(
      r,
      m,
      CHECK_KEYS.filter((k) => !allowed.includes(k)),
      `does not apply to ${v.type} checks`,
      allowed.length > 0 ? `expected only ${allowed.join(', ')} besides name, type, timeout, hosts` : 'expected only name, type, timeout, hosts',
    );
    if (required) requireKeys(r, m, [required]);
  }
  if (v.name === undefined || v.type === undefined) return undefined;
  const base = { name: v.name, timeout: v.timeout ?? DEFAULT_CHECK_TIMEOUT_SECONDS, hosts: v.hosts ?? [] };
  switch (v.type) {
    case 'command':
      return v.command === undefined ? undefined : { ...base, type: v.type, command: v.command };
    case 'tcp':
      return v.address === undefined ? undefined : { ...base, type: v.type, address: v.address };
    case 'http':
      return v.url === undefined ? undefined : { ...base, type: v.type, url: v.url, expectStatus: v.expect_status ?? null };
    case 'boot':
      return v.console === undefined ? undefined : { ...base, type: v.type, console: v.console };
    default:
      return { ...base, type: v.type };
  }
};

export const readChecks: ValueReader<CheckConfig[]> = uniqueListOf(readCheck, 'check');

const readPlanGroup: ValueReader<PlanGroupConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { hosts: listOf(str, { nonEmpty: true }), wait: duration });
  if (m === undefined) return undefined;
  requireKeys(r, m, [['hosts', 'expected a non-empty list of host names']]);
  return m.values.hosts === undefined ? undefined : { hosts: m.values.hosts, wait: m.values.wait ?? 0 };
};

const readPlan: ValueReader<PlanConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    groups: listOf(readPlanGroup, { nonEmpty: true }),
    checks: listOf(reference('check')),
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['groups', 'expected a non-empty list of host groups'],
  ]);
  const v = m.values;
  if (v.name === undefined || v.groups === undefined) return undefined;
  return { name: v.name, groups: v.groups, checks: v.checks ?? [] };
};

export const readPlans: ValueReader<PlanConfig[]> = uniqueListOf(readPlan, 'plan');

const readSwitch: ValueReader<SwitchHookConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { command: str, url: url(['http:', 'https:']), timeout: positiveDuration });
  if (m === undefined) return undefined;
  if (m.has('command') && m.has('url')) r.fail(m.nodeOf('url'), `${path}.url cannot be combined with command`, 'expected one of command, url');
  if (!m.has('command') && !m.has('url')) return r.fail(m.node, `${path} has neither command nor url`, 'expected a shell command or an http(s):// URL to POST to');
  const timeout = m.values.timeout ?? DEFAULT_SWITCH_TIMEOUT_SECONDS;
  if (m.values.command !== undefined) return { type: 'command', command: m.values.command, timeout };
  if (m.values.url !== undefined) return { type: 'webhook', url: m.values.url, timeout };
  return undefined;
};

export const readRecovery: ValueReader<RecoveryConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { drill_ttl: positiveDuration, switch: readSwitch });
  if (m === undefined) return undefined;
  return { drillTtl: m.values.drill_ttl ?? DEFAULT_DRILL_TTL_SECONDS, switch: m.values.switch ?? null };
};
