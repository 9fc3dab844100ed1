/**
 * The `hub`, `tiers` and `hosts` sections.
 */
import { defaultHub } from './defaults.js';
import { bool, definedName, localPath, name, oneOf, readMapping, reference, requireKeys, str, stringList, uniqueListOf, type ValueReader } from './yaml-readers.js';
import type { HostConfig, HubConfig, HubListenConfig, TierConfig, TlsConfig, VolumeConfig } from './types.js';
import { blockSize, DEFAULT_BLOCK_SIZE, listenAddress, positiveDuration } from './values.js';

const readListen: ValueReader<HubListenConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { agents: listenAddress, api_tcp: listenAddress, http: listenAddress });
  if (m === undefined) return undefined;
  const defaults = defaultHub().listen;
  return {
    agents: m.values.agents ?? defaults.agents,
    apiTcp: m.values.api_tcp ?? null,
    http: m.values.http ?? defaults.http,
  };
};

const readTls: ValueReader<TlsConfig | null> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { cert: localPath, key: localPath });
  if (m === undefined) return undefined;
  if (!m.has('cert') && !m.has('key')) return null;
  requireKeys(r, m, [
    ['cert', 'expected cert and key together'],
    ['key', 'expected cert and key together'],
  ]);
  const { cert, key } = m.values;
  return cert !== undefined && key !== undefined ? { cert, key } : undefined;
};

export const readHub: ValueReader<HubConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    data: localPath,
    listen: readListen,
    tls: readTls,
    api_token: str,
    socket_role: oneOf(['viewer', 'operator', 'admin', 'none'] as const, 'role'),
    heartbeat_timeout: positiveDuration,
  });
  if (m === undefined) return undefined;
  const v = m.values;
  const hub = defaultHub();
  const listen = v.listen ?? hub.listen;
  if (listen.apiTcp !== null) {
    requireKeys(r, m, [['api_token', 'expected a token for the operator API when listen.api_tcp is set']]);
  }
  return {
    name: v.name ?? hub.name,
    data: v.data ?? null,
    listen,
    tls: v.tls ?? null,
    apiToken: v.api_token ?? null,
    socketRole: v.socket_role ?? hub.socketRole,
    heartbeatTimeout: v.heartbeat_timeout ?? hub.heartbeatTimeout,
  };
};

const readTier: ValueReader<TierConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { name: definedName('tier'), rpo: positiveDuration, rto: positiveDuration });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['rpo', 'expected a duration'],
    ['rto', 'expected a duration'],
  ]);
  const { name: tierName, rpo, rto } = m.values;
  return tierName !== undefined && rpo !== undefined && rto !== undefined ? { name: tierName, rpo, rto } : undefined;
};

export const readTiers: ValueReader<TierConfig[]> = uniqueListOf(readTier, 'tier');

const readVolume: ValueReader<VolumeConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { name, path: str, block_size: blockSize });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['path', 'expected a string'],
  ]);
  const v = m.values;
  if (v.name === undefined || v.path === undefined) return undefined;
  return { name: v.name, path: v.path, blockSize: v.block_size ?? DEFAULT_BLOCK_SIZE };
};

/** continuous replication: the shortest time between the starts of two cycles */
const DEFAULT_MIN_INTERVAL_S = 5;

const readHost: ValueReader<HostConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    tags: stringList,
    tier: reference('tier'),
    volumes: uniqueListOf(readVolume, 'volume'),
    continuous: bool,
    continuous_rpo: positiveDuration,
    min_interval: positiveDuration,
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [['name', 'expected a string']]);
  const v = m.values;
  if (v.name === undefined) return undefined;
  const continuous = v.continuous ? { rpoSeconds: v.continuous_rpo ?? null, minIntervalSeconds: v.min_interval ?? DEFAULT_MIN_INTERVAL_S } : null;
  return { name: v.name, tags: v.tags ?? [], tier: v.tier ?? null, volumes: v.volumes ?? [], ...(continuous ? { continuous } : {}) };
};

export const readHosts: ValueReader<HostConfig[]> = uniqueListOf(readHost, 'host');

