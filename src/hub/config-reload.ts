// A config reload (`drc config reload`, SIGHUP): the file is read and validated again. On an
// error the running config stays and the answer is the one-line `file:line:col: problem`.
// Sections that can change live are handed to the services that own them; sections that
// cannot (listen addresses, TLS, the data directory, the store) are named as needing a restart.
import type { RetentionConfig, ScheduleConfig } from '../config/types.js';
import type { AlarmRuleConfig, ChannelConfig, CopyConfig, InspectionConfig, StoreConfig } from '../config/types.js';
import type { AlarmService } from '../alarms/service.js';
import type { Role } from '../protocol/access.js';
import type { ConfigReloadView } from '../protocol/hub-config.js';
import type { TierView } from '../protocol/operator.js';
import type { RecoveryService } from '../recovery/service.js';
import type { OperatorAccess } from './access.js';
import { ApiError } from './api.js';
import type { HubCopies } from './copies.js';
import type { InspectionMail } from './inspection-mail.js';
import type { HubMaintenance } from './maintenance.js';
import type { Clock, Journal } from './ports.js';
import type { HubRecoveryOptions } from './recovery-link.js';
import type { HubScheduler } from './schedules.js';

interface Address {
  host: string;
  port: number;
}

/** The hub's options a config file gives (the composition root's HubOptions has these fields). */
export interface ReloadableOptions {
  name: string;
  dataDir: string;
  agents: Address;
  http: Address | null;
  apiTcp: (Address & { token?: string }) | null;
  socketRole?: Role | null;
  tls?: { cert: string; key: string };
  heartbeatTimeoutMs?: number;
  tiers: TierView[];
  hosts: { name: string; tags: string[]; tier: string | null; continuous?: unknown }[];
  schedules?: ScheduleConfig[];
  retention?: RetentionConfig | null;
  /** automatic maintenance and the watchdog: a restart applies a change */
  maintenance?: unknown;
  alarms?: AlarmRuleConfig[];
  channels?: ChannelConfig[];
  recovery?: HubRecoveryOptions;
  store?: StoreConfig;
  copies?: CopyConfig[];
  inspection?: InspectionConfig | null;
}

/** Reads the config file again: its path and the options it gives now; throws a ConfigError. */
export type ConfigSource = () => { file: string; options: ReloadableOptions };

/** The services a reload reaches. */
export interface ConfigReloadPorts {
  clock: Clock;
  journal: Journal;
  scheduler: Pick<HubScheduler, 'reconfigure'>;
  maintenance: Pick<HubMaintenance, 'reconfigure'>;
  alarms: Pick<AlarmService, 'reconfigure'>;
  copies: Pick<HubCopies, 'reconfigure'>;
  access: Pick<OperatorAccess, 'reconfigure'>;
  recovery: Pick<RecoveryService, 'reconfigure'>;
  inspection: Pick<InspectionMail, 'reconfigure'>;
  /** the tiers every service reads (changed in place) */
  tiers: TierView[];
  /** a configured host's tags and tier, as at start */
  upsertHost(h: { name: string; tags: string[]; tier: string | null }): void;
  /** close the operator connections whose access a reload took away */
  dropLapsed(): void;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const recoveryPart = <K extends keyof HubRecoveryOptions>(k: K) => (o: ReloadableOptions) => o.recovery?.[k];

/** What changes only with a restart, by the config key an operator knows it as. */
const RESTART: [string, (o: ReloadableOptions) => unknown][] = [
  ['hub.name', (o) => o.name],
  ['hub.data', (o) => o.dataDir],
  ['hub.listen.agents', (o) => o.agents],
  ['hub.listen.http', (o) => o.http],
  ['hub.listen.api_tcp', (o) => (o.apiTcp ? { host: o.apiTcp.host, port: o.apiTcp.port } : null)],
  ['hub.tls', (o) => o.tls],
  ['hub.heartbeat_timeout', (o) => o.heartbeatTimeoutMs],
  ['store', (o) => o.store],
  ['hosts[].continuous', (o) => o.hosts.map((h) => [h.name, h.continuous ?? null])],
  ['maintenance', (o) => o.maintenance],
];

export class ConfigReload {
  /** what the hub started with: restart-only sections are compared with it */
  private readonly started: ReloadableOptions;

  constructor(
    private readonly p: ConfigReloadPorts,
    private current: ReloadableOptions,
    private readonly source: ConfigSource | null,
  ) {
    this.started = current;
  }

  reload(actor: string): ConfigReloadView {
    if (!this.source) throw new ApiError('bad-request', 'this hub was started without a config file: nothing to reload');
    let read: ReturnType<ConfigSource>;
    try {
      read = this.source();
    } catch (e) {
      const message = (e as Error).message.split('\n')[0] ?? 'unreadable config';
      this.p.journal.audit(actor, 'config.reload', null, `refused: ${message}`);
      this.p.journal.event('warning', 'config.reload_failed', null, `config reload refused, the running config stays: ${message}`);
      throw new ApiError('bad-config', `${message}; the running config stays`);
    }
    const next = read.options;
    const applied = this.apply(next);
    const restartNeeded = RESTART.filter(([, get]) => !same(get(this.started), get(next))).map(([k]) => k);
    this.current = next;
    const view: ConfigReloadView = { file: read.file, time: this.p.clock.iso(), applied, restartNeeded };
    this.p.journal.audit(actor, 'config.reload', read.file, 'ok', { applied, restartNeeded });
    const what = applied.length ? `applied ${applied.join(', ')}` : 'nothing changed that applies live';
    this.p.journal.event(restartNeeded.length ? 'warning' : 'info', 'config.reloaded', null, `config ${read.file} reloaded: ${what}${restartNeeded.length ? `; restart the hub for ${restartNeeded.join(', ')}` : ''}`, view);
    return view;
  }

  /** Hand each changed live section to its service; the names of those applied. */
  private apply(next: ReloadableOptions): string[] {
    const was = this.current;
    const changed = (get: (o: ReloadableOptions) => unknown) => !same(get(was), get(next));
    const applied: string[] = [];
    const mark = (name: string, get: (o: ReloadableOptions) => unknown): boolean => {
      const c = changed(get);
      if (c) applied.push(name);
      return c;
    };
    const tiers = mark('tiers', (o) => o.tiers);
    if (tiers) this.p.tiers.splice(0, this.p.tiers.length, ...next.tiers);
    if (mark('hosts', (o) => o.hosts.map((h) => [h.name, h.tags, h.tier]))) for (const h of next.hosts) this.p.upsertHost(h);
    const schedules = mark('schedules', (o) => o.schedules);
    const retention = mark('retention', (o) => o.retention);
    if (schedules) this.p.scheduler.reconfigure(next.schedules ?? []);
    if (schedules || retention) this.p.maintenance.reconfigure({ schedules: next.schedules ?? [], retention: next.retention ?? null });
    const alarms = mark('alarms', (o) => o.alarms);
    const channels = mark('channels', (o) => o.channels);
    if (alarms || channels) this.p.alarms.reconfigure(next.alarms ?? [], next.channels ?? []);
    if (mark('copies', (o) => o.copies)) this.p.copies.reconfigure(next.copies ?? []);
    const recovery = [
      mark('targets', recoveryPart('targets')),
      mark('checks', recoveryPart('checks')),
      mark('plans', recoveryPart('plans')),
      mark('recovery', (o) => [o.recovery?.drillTtlSeconds, o.recovery?.switchHook]),
    ].some(Boolean);
    if (recovery && next.recovery) this.p.recovery.reconfigure({ ...next.recovery });
    const token = mark('hub.api_token', (o) => o.apiTcp?.token ?? null);
    const socket = mark('hub.socket_role', (o) => (o.socketRole === undefined ? 'admin' : o.socketRole));
    if (token || socket) {
      this.p.access.reconfigure({ apiToken: next.apiTcp?.token ?? null, socketRole: next.socketRole === undefined ? 'admin' : next.socketRole });
      this.p.dropLapsed();
    }
    if (mark('inspection', (o) => o.inspection)) this.p.inspection.reconfigure(next.inspection ?? null);
    return applied;
  }
}
