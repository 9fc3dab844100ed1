// The cockpit's client-side model: one immutable state fed by hub updates. Views read
// it through useCockpitState; nothing here renders or fetches on its own.
import type {
  AlarmView, AuditEntryView, BacklogView, DirtyBitmapView, DrillPreview, EventView, FailbackPrecheck, FailoverPrecheck, HostMetricsView, HostView, HubView,
  InspectionView, InstanceConsole, InstanceView, JobView, LinkHealthView, PointView, RecoveryReport, ReportSummary, RunView, ScheduleView, Snapshot,
  ThroughputSample, Update,
} from '../protocol/operator.js';
import type { CockpitClient, ConnectionState } from './client.js';
import type { MaintenanceOutlook } from './render/maintenanceModel.js';

export const EVENT_LIMIT = 500;
export const FINISHED_JOB_LIMIT = 300;
export const THROUGHPUT_WINDOW_MS = 15 * 60_000;
export const ALARM_LIMIT = 500;
/** metric samples kept per host for the host detail's sparklines */
export const METRIC_SAMPLES = 60;
export const RUN_LIMIT = 100;

/** A host's newest metrics and the recent history the sparklines draw. */
export interface HostMetricsState {
  latest: HostMetricsView;
  link: LinkHealthView;
  /** percent, oldest first, at most METRIC_SAMPLES */
  cpu: readonly number[];
  memory: readonly number[];
  /** the fullest disk's percent */
  disk: readonly number[];
}

export interface CockpitState {
  readonly hub: HubView | null;
  readonly hosts: readonly HostView[];
  readonly jobs: readonly JobView[];
  readonly points: readonly PointView[];
  readonly events: readonly EventView[];
  readonly throughput: readonly ThroughputSample[];
  /** open alarms and recently resolved ones, by id */
  readonly alarms: readonly AlarmView[];
  readonly metrics: Readonly<Record<string, HostMetricsState>>;
  /** null until schedules.list answered (the schedules view polls it) */
  readonly schedules: readonly ScheduleView[] | null;
  /** the automatic maintenance and what its next run would delete (the schedules view polls them) */
  readonly maintenance: MaintenanceOutlook | null;
  /** null until instances.list answered (the instances view polls it) */
  readonly instances: readonly InstanceView[] | null;
  /** the serial console's tail by instance id (the console view polls it) */
  readonly consoles: Readonly<Record<number, InstanceConsole>>;
  /** drills and failovers this cockpit has seen (run updates, wizard results) */
  readonly runs: readonly RunView[];
  readonly reports: readonly ReportSummary[] | null;
  readonly inspection: InspectionView | null;
  /** null until audit.list answered (the :audit view polls it) */
  readonly audit: readonly AuditEntryView[] | null;
  /** true once the past runs were asked for (the drill picker's drilled marks) */
  readonly runsListed: boolean;
  /** the wizards' answers: drill forecasts by drillPreviewKey, pre-checks by host, reports by id */
  readonly previews: Readonly<Record<string, DrillPreview>>;
  readonly prechecks: Readonly<Record<string, FailoverPrecheck>>;
  /** the failback wizard's pre-checks by host */
  readonly failbackPrechecks: Readonly<Record<string, FailbackPrecheck>>;
  readonly reportDetails: Readonly<Record<number, RecoveryReport>>;
  readonly connection: ConnectionState;
  /** true once a snapshot has arrived */
  readonly synced: boolean;
}

export const EMPTY_STATE: CockpitState = {
  hub: null, hosts: [], jobs: [], points: [], events: [], throughput: [],
  alarms: [], metrics: {}, schedules: null, maintenance: null, instances: null, consoles: {}, runs: [], reports: null, inspection: null, audit: null,
  runsListed: false, previews: {}, prechecks: {}, failbackPrechecks: {}, reportDetails: {},
  connection: 'connecting', synced: false,
};

export function isFinished(job: JobView): boolean {
  return job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled';
}

/** Answers to the cockpit's own calls, applied like hub updates. */
export type LocalUpdate =
  | { type: 'alarms.list'; alarms: readonly AlarmView[] }
  | { type: 'schedules'; schedules: readonly ScheduleView[] }
  | { type: 'maintenance'; maintenance: MaintenanceOutlook }
  | { type: 'instances'; instances: readonly InstanceView[] }
  | { type: 'instance.console'; console: InstanceConsole }
  | { type: 'reports'; reports: readonly ReportSummary[] }
  | { type: 'inspection'; inspection: InspectionView }
  | { type: 'audit'; entries: readonly AuditEntryView[] }
  | { type: 'runs.list'; runs: readonly RunView[] }
  | { type: 'drill.preview'; key: string; preview: DrillPreview }
  | { type: 'failover.precheck'; host: string; precheck: FailoverPrecheck }
  | { type: 'failback.precheck'; host: string; precheck: FailbackPrecheck }
  | { type: 'report'; report: RecoveryReport }
  /** a host's recent samples from the hub's metric history (percent, oldest first) */
  | { type: 'metrics.history'; host: string; cpu: readonly number[]; memory: readonly number[]; disk: readonly number[] };

/** Pure: the state after one update. Returns the same object when nothing changed. */
export function applyUpdate(state: CockpitState, update: Update | LocalUpdate): CockpitState {
  switch (update.type) {
    case 'snapshot': return fromSnapshot(update.snapshot, state);
    case 'hub': return { ...state, hub: update.hub };
    case 'host': return { ...state, hosts: upsert(state.hosts, update.host, (h) => h.name === update.host.name) };
    case 'host.removed': {
      const hosts = state.hosts.filter((h) => h.name !== update.name);
      return hosts.length === state.hosts.length ? state : { ...state, hosts };
    }
    case 'job': return { ...state, jobs: capJobs(upsert(state.jobs, update.job, (j) => j.id === update.job.id)) };
    case 'point': return { ...state, points: upsert(state.points, update.point, (p) => p.id === update.point.id) };
    case 'point.removed': {
      const points = state.points.filter((p) => p.id !== update.id);
      return points.length === state.points.length ? state : { ...state, points };
    }
    case 'event': {
      const events = upsert(state.events, update.event, (e) => e.id === update.event.id);
      return { ...state, events: events.length > EVENT_LIMIT ? events.slice(-EVENT_LIMIT) : events };
    }
    case 'throughput': return { ...state, throughput: appendSample(state.throughput, update.sample) };
    case 'bitmap': return applyBitmap(state, update.host, update.volume, update.dirty);
    case 'backlog': return applyBacklog(state, update.host, update.volume, update.backlog);
    case 'alarm': return { ...state, alarms: capAlarms(upsert(state.alarms, update.alarm, (a) => a.id === update.alarm.id)) };
    case 'alarms.list': return { ...state, alarms: capAlarms(mergeAlarms(state.alarms, update.alarms)) };
    case 'metrics': return { ...state, metrics: { ...state.metrics, [update.host]: nextMetrics(state.metrics[update.host], update.metrics, update.link) } };
    case 'run': return { ...state, runs: upsertRuns(state.runs, [update.run]) };
    case 'runs.list': return { ...state, runs: upsertRuns(state.runs, update.runs), runsListed: true };
    case 'drill.preview': return { ...state, previews: { ...state.previews, [update.key]: update.preview } };
    case 'failover.precheck': return { ...state, prechecks: { ...state.prechecks, [update.host]: update.precheck } };
    case 'failback.precheck': return { ...state, failbackPrechecks: { ...state.failbackPrechecks, [update.host]: update.precheck } };
    case 'report': return { ...state, reportDetails: { ...state.reportDetails, [update.report.id]: update.report } };
    case 'schedules': return { ...state, schedules: update.schedules };
    case 'maintenance': return { ...state, maintenance: update.maintenance };
    case 'instances': return { ...state, instances: update.instances };
    case 'instance.console': return { ...state, consoles: { ...state.consoles, [update.console.id]: update.console } };
    case 'reports': return { ...state, reports: update.reports };
    case 'inspection': return { ...state, inspection: update.inspection };
    case 'audit': return { ...state, audit: update.entries };
    case 'metrics.history': return applyMetricHistory(state, update);
  }
}

/** Where a drill forecast is kept: the hosts and the point ('' = the hub's default). */
export function drillPreviewKey(hosts: readonly string[], point: string): string {
  return `${hosts.join(' ')}@${point}`;
}

function upsertRuns(runs: readonly RunView[], more: readonly RunView[]): readonly RunView[] {
  let next = runs;
  for (const r of more) next = upsert(next, r, (x) => x.id === r.id);
  return next.length > RUN_LIMIT ? next.slice(-RUN_LIMIT) : next;
}

/** Firing or acknowledged: not yet resolved. */
export function isOpenAlarm(a: AlarmView): boolean {
  return a.state !== 'resolved';
}

function mergeAlarms(current: readonly AlarmView[], listed: readonly AlarmView[]): readonly AlarmView[] {
  const byId = new Map(current.map((a) => [a.id, a] as const));
  // an alarm update may have overtaken the list call: the newer of the two stays
  for (const a of listed) {
    const had = byId.get(a.id);
    if (!had || alarmStamp(a) >= alarmStamp(had)) byId.set(a.id, a);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function alarmStamp(a: AlarmView): string {
  return [a.lastFiredAt, a.ackedAt ?? '', a.resolvedAt ?? ''].reduce((m, t) => (t > m ? t : m), '');
}

/** Open alarms are always kept; resolved ones, newest first, up to the limit. */
function capAlarms(alarms: readonly AlarmView[]): readonly AlarmView[] {
  if (alarms.length <= ALARM_LIMIT) return alarms;
  const resolved = alarms.filter((a) => !isOpenAlarm(a)).sort((a, b) => b.id - a.id);
  const keep = new Set(resolved.slice(0, Math.max(0, ALARM_LIMIT - (alarms.length - resolved.length))));
  return alarms.filter((a) => isOpenAlarm(a) || keep.has(a));
}

function pushCapped(values: readonly number[], v: number): readonly number[] {
  const next = [...values, v];
  return next.length > METRIC_SAMPLES ? next.slice(-METRIC_SAMPLES) : next;
}

function nextMetrics(prev: HostMetricsState | undefined, m: HostMetricsView, link: LinkHealthView): HostMetricsState {
  const disk = m.disks.reduce((max, d) => Math.max(max, d.percent), 0);
  if (prev && prev.latest.time === m.time) return { ...prev, latest: m, link };
  return {
    latest: m, link,
    cpu: pushCapped(prev?.cpu ?? [], m.cpu),
    memory: pushCapped(prev?.memory ?? [], m.memoryPercent),
    disk: pushCapped(prev?.disk ?? [], disk),
  };
}

/**
 * The history holds every sample the hub had when it answered, and updates sent after the
 * answer come after it on the same connection: it replaces shorter sparklines whole.
 */
function applyMetricHistory(state: CockpitState, u: Extract<LocalUpdate, { type: 'metrics.history' }>): CockpitState {
  const prev = state.metrics[u.host];
  // no sample yet: nothing to draw the sparklines next to; they fill as samples arrive
  if (!prev) return state;
  const pick = (now: readonly number[], history: readonly number[]): readonly number[] =>
    history.length > now.length ? history.slice(-METRIC_SAMPLES) : now;
  const next = { ...prev, cpu: pick(prev.cpu, u.cpu), memory: pick(prev.memory, u.memory), disk: pick(prev.disk, u.disk) };
  if (next.cpu === prev.cpu && next.memory === prev.memory && next.disk === prev.disk) return state;
  return { ...state, metrics: { ...state.metrics, [u.host]: next } };
}

function fromSnapshot(s: Snapshot, prev: CockpitState): CockpitState {
  const connection = prev.connection;
  const events = [...s.events].sort((a, b) => a.time.localeCompare(b.time) || a.id - b.id);
  const throughput = [...s.throughput].sort((a, b) => a.time.localeCompare(b.time));
  return {
    hub: s.hub,
    hosts: s.hosts,
    jobs: capJobs(s.jobs),
    points: s.points,
    events: events.slice(-EVENT_LIMIT),
    throughput: pruneSamples(throughput),
    // a hub that does not send alarms with its snapshot leaves ours (from alarms.list) alone
    alarms: s.alarms ? capAlarms(mergeAlarms([], s.alarms)) : prev.alarms,
    metrics: prev.metrics,
    schedules: prev.schedules,
    maintenance: prev.maintenance,
    instances: prev.instances,
    consoles: prev.consoles,
    runs: prev.runs,
    reports: prev.reports,
    inspection: prev.inspection,
    audit: prev.audit,
    runsListed: prev.runsListed,
    previews: prev.previews,
    prechecks: prev.prechecks,
    failbackPrechecks: prev.failbackPrechecks,
    reportDetails: prev.reportDetails,
    connection,
    synced: true,
  };
}

function upsert<T>(list: readonly T[], item: T, same: (x: T) => boolean): readonly T[] {
  const i = list.findIndex(same);
  if (i < 0) return [...list, item];
  const next = list.slice();
  next[i] = item;
  return next;
}

function finishedTime(j: JobView): string {
  return j.finishedAt ?? j.createdAt;
}

function capJobs(jobs: readonly JobView[]): readonly JobView[] {
  let finished = 0;
  for (const j of jobs) if (isFinished(j)) finished++;
  if (finished <= FINISHED_JOB_LIMIT) return jobs;
  const keep = new Set(
    jobs.filter(isFinished)
      .sort((a, b) => finishedTime(b).localeCompare(finishedTime(a)) || b.id - a.id)
      .slice(0, FINISHED_JOB_LIMIT),
  );
  return jobs.filter((j) => !isFinished(j) || keep.has(j));
}

function appendSample(samples: readonly ThroughputSample[], sample: ThroughputSample): readonly ThroughputSample[] {
  const last = samples[samples.length - 1];
  if (last && last.time === sample.time) return pruneSamples([...samples.slice(0, -1), sample]);
  if (last && last.time > sample.time) {
    const merged = [...samples.filter((s) => s.time !== sample.time), sample];
    return pruneSamples(merged.sort((a, b) => a.time.localeCompare(b.time)));
  }
  return pruneSamples([...samples, sample]);
}

function pruneSamples(samples: readonly ThroughputSample[]): readonly ThroughputSample[] {
  const newest = samples[samples.length - 1];
  if (!newest) return samples;
  const cutoff = Date.parse(newest.time) - THROUGHPUT_WINDOW_MS;
  let first = 0;
  while (first < samples.length && Date.parse(samples[first]!.time) < cutoff) first++;
  return first === 0 ? samples : samples.slice(first);
}

function applyBitmap(state: CockpitState, hostName: string, volume: string, dirty: DirtyBitmapView): CockpitState {
  const host = state.hosts.find((h) => h.name === hostName);
  if (!host || !host.volumes.some((v) => v.name === volume)) return state;
  const volumes = host.volumes.map((v) => (v.name === volume ? { ...v, dirty } : v));
  // the backlog is derived from the newest bitmaps, so keep it in step with them
  const backlogBytes = volumes.reduce((sum, v) => sum + (v.dirty?.dirtyBytes ?? 0), 0);
  const next: HostView = { ...host, volumes, backlogBytes };
  return { ...state, hosts: state.hosts.map((h) => (h === host ? next : h)) };
}

/**
 * New counts for a volume whose bitmap the cockpit does not watch (no heatmap of it on
 * screen): its last bitmap is kept, to be replaced as soon as the host is watched.
 */
function applyBacklog(state: CockpitState, hostName: string, volume: string, backlog: BacklogView): CockpitState {
  const host = state.hosts.find((h) => h.name === hostName);
  const old = host?.volumes.find((v) => v.name === volume)?.dirty;
  if (!host || old === undefined) return state;
  if (old && old.dirtyCount === backlog.dirtyCount && old.dirtyBytes === backlog.dirtyBytes && old.blockCount === backlog.blockCount) return state;
  const bitmap = old && old.blockCount === backlog.blockCount ? old.bitmap : '';
  return applyBitmap(state, hostName, volume, { ...backlog, bitmap });
}

export class CockpitStore {
  private state: CockpitState;
  private readonly listeners = new Set<() => void>();

  constructor(initial: CockpitState = EMPTY_STATE) {
    this.state = initial;
  }

  getState(): CockpitState {
    return this.state;
  }

  apply(update: Update | LocalUpdate): void {
    this.set(applyUpdate(this.state, update));
  }

  setConnection(connection: ConnectionState): void {
    if (connection !== this.state.connection) this.set({ ...this.state, connection });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private set(next: CockpitState): void {
    if (next === this.state) return;
    this.state = next;
    for (const l of [...this.listeners]) l();
  }
}

/**
 * Feeds the store from a client: updates, connection state, and `subscribe` calls —
 * once now, and again after every reconnection (the hub then sends a fresh snapshot).
 */
export function attachClient(store: CockpitStore, client: CockpitClient, onError?: (e: unknown) => void): () => void {
  let subscribed = false;
  let inFlight = false;
  let again = false; // asked to subscribe while a call was in flight
  let generation = 0; // bumped on every disconnection
  let detached = false;
  const subscribe = (): void => {
    if (detached || subscribed) return;
    if (inFlight) { again = true; return; }
    inFlight = true;
    again = false;
    const gen = generation;
    client.call('subscribe', {}).then(
      () => {
        inFlight = false;
        if (gen === generation) {
          subscribed = true;
          // alarms resolved within the day, and older open ones the snapshot may leave out
          client.call('alarms.list', {}).then(
            (alarms) => { if (!detached) store.apply({ type: 'alarms.list', alarms }); },
            () => { /* a hub without alarms: the feed stays empty */ },
          );
          // a client that was already connected when we attached never says so
          if (store.getState().connection === 'connecting') store.setConnection('connected');
        }
        if (again) subscribe();
      },
      (e: unknown) => {
        inFlight = false;
        if (again) subscribe();
        else if (!detached) onError?.(e);
      },
    );
  };
  const offUpdate = client.onUpdate((u) => store.apply(u));
  const offConn = client.onConnection((s) => {
    store.setConnection(s);
    if (s === 'connected') {
      subscribe();
    } else {
      generation++;
      subscribed = false;
    }
  });
  subscribe();
  return () => { detached = true; offUpdate(); offConn(); };
}
