/**
 * The `agent` section: the local config of a `drc agent` process. Its volume list is
 * the agent's own allow-list; a hub can never make it read anything else.
 */
import { DEFAULT_HEARTBEAT_SECONDS, DEFAULT_WATCH_SECONDS } from './defaults.js';
import { localPath, name, oneOf, readMapping, rejectKeys, requireKeys, str, uniqueListOf, url, type ValueReader } from './yaml-readers.js';
import { TRACKERS, type AgentConfig, type AgentVolumeConfig } from './types.js';
import { blockSize, DEFAULT_BLOCK_SIZE, duration, positiveDuration } from './values.js';

const readAgentVolume: ValueReader<AgentVolumeConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    path: localPath,
    block_size: blockSize,
    tracker: oneOf(TRACKERS, 'tracker'),
    qmp: localPath,
    nbd: str,
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['path', 'expected a string'],
  ]);
  const v = m.values;
  const tracker = v.tracker ?? 'scan';
  if (tracker !== 'qemu-dirty-bitmap') {
    rejectKeys(r, m, ['qmp', 'nbd'], `does not apply to tracker "${tracker}"`, 'expected only with tracker: qemu-dirty-bitmap');
  }
  if (v.name === undefined || v.path === undefined) return undefined;
  return {
    name: v.name,
    path: v.path,
    blockSize: v.block_size ?? DEFAULT_BLOCK_SIZE,
    tracker,
    qmp: v.qmp ?? null,
    nbd: v.nbd ?? null,
  };
};

export const readAgent: ValueReader<AgentConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    hub: url(['ws:', 'wss:']),
    host: name,
    token: str,
    token_file: localPath,
    data: localPath,
    ca: localPath,
    heartbeat: positiveDuration,
    watch: duration,
    volumes: uniqueListOf(readAgentVolume, 'volume'),
  });
  if (m === undefined) return undefined;
  if (m.has('token')) {
    rejectKeys(r, m, ['token_file'], 'is set together with token', 'expected one of token and token_file, not both');
  }
  const v = m.values;
  return {
    hub: v.hub ?? null,
    host: v.host ?? null,
    token: v.token ?? null,
    tokenFile: v.token_file ?? null,
    data: v.data ?? null,
    ca: v.ca ?? null,
    heartbeat: v.heartbeat ?? DEFAULT_HEARTBEAT_SECONDS,
    watch: v.watch ?? DEFAULT_WATCH_SECONDS,
    volumes: v.volumes ?? [],
  };
};
