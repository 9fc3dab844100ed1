/**
 * Defaults that apply when a key (or the whole file) is absent.
 */
import type { DrcConfig, HubConfig, MaintenanceConfig, RecoveryConfig, StoreConfig } from './types.js';

export const DEFAULT_HUB_NAME = 'drc-hub';
export const DEFAULT_AGENTS_LISTEN = { host: '127.0.0.1', port: 7701 } as const;
export const DEFAULT_API_TCP_LISTEN = { host: '127.0.0.1', port: 7702 } as const;
export const DEFAULT_HTTP_LISTEN = { host: '127.0.0.1', port: 7703 } as const;
export const DEFAULT_HEARTBEAT_SECONDS = 5;
/** with agents' 5 s heartbeats and the hub's 1 s tick, a hung agent is disconnected within 11 s */
export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 10;
export const DEFAULT_WATCH_SECONDS = 5;
export const DEFAULT_PRIORITY = 5;
export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_CHECK_TIMEOUT_SECONDS = 30;
export const DEFAULT_DRILL_TTL_SECONDS = 24 * 3600;
export const DEFAULT_SWITCH_TIMEOUT_SECONDS = 60;

export function defaultHub(): HubConfig {
  return {
    name: DEFAULT_HUB_NAME,
    data: null,
    listen: { agents: { ...DEFAULT_AGENTS_LISTEN }, apiTcp: null, http: { ...DEFAULT_HTTP_LISTEN } },
    tls: null,
    apiToken: null,
    socketRole: 'admin',
    heartbeatTimeout: DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
  };
}

/** The configuration in effect when there is no config file. */
export function emptyConfig(): DrcConfig {
  return {
    source: null,
    hub: defaultHub(),
    tiers: [],
    hosts: [],
    agent: null,
    schedules: [],
    retention: null,
    alarms: [],
    channels: [],
    targets: [],
    checks: [],
    plans: [],
    recovery: defaultRecovery(),
    store: defaultStore(),
    copies: [],
    maintenance: defaultMaintenance(),
  };
}

const DAY_SECONDS = 86_400;

/** Daily at 03:30 UTC inside 01:00-06:00; journal 90 days, audit 400 days; verify every 30 days. */
export function defaultMaintenance(): MaintenanceConfig {
  return {
    cron: '30 3 * * *',
    timezone: DEFAULT_TIMEZONE,
    window: { text: '01:00-06:00', startMinute: 60, endMinute: 360 },
    gcLimit: null,
    verifyEvery: 30 * DAY_SECONDS,
    verifyPerRun: 20,
    eventsKeep: 90 * DAY_SECONDS,
    auditKeep: 400 * DAY_SECONDS,
    stallTimeout: 600,
  };
}

export function defaultRecovery(): RecoveryConfig {
  return { drillTtl: DEFAULT_DRILL_TTL_SECONDS, switch: null };
}

/** Bytes of whole packs a hub caches locally for a remote store. */
export const DEFAULT_CACHE_BYTES = 4 * 1024 * 1024 * 1024;

export function defaultStore(): StoreConfig {
  return { type: 'local', path: null, encryption: null, cacheBytes: DEFAULT_CACHE_BYTES };
}
