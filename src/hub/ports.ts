// The narrow services the hub's modules take instead of the hub: the clock, the journal of
// events and audit, the broadcaster to operators, the agent links and the catalog slices.
// hub.ts builds them first and hands each module only the ports it uses.
import type { Catalog } from '../catalog/catalog.js';
import type { EventView, Level, Update } from '../protocol/operator.js';
import type { LogTail } from './agent-logs.js';
import type { AgentVolumeIo } from './volume-requests.js';

/** Time as the hub sees it (injected: tests and simulated days move it). */
export interface Clock {
  /** wall-clock time (ms since the epoch): what is recorded and shown; may jump */
  now(): number;
  iso(): string;
  /** a monotonic millisecond count for measuring how long something took (heartbeats, the
   * watchdog): never follows a jump of the wall clock */
  elapsed(): number;
}

export function clockOf(now: () => number, elapsed: () => number = () => performance.now()): Clock {
  return { now, iso: () => new Date(now()).toISOString(), elapsed };
}

export type HubLogLevel = 'info' | 'warning' | 'error';
/** The hub's structured log (JSON lines in the data directory). */
export type HubLog = (level: HubLogLevel, message: string, data?: Record<string, unknown>) => void;

/** The append-only record of what happened (events, shown and alarmed on) and who did it (audit). */
export interface Journal {
  event(level: Level, kind: string, host: string | null, message: string, data?: object): EventView;
  audit(actor: string, action: string, target: string | null, outcome: string, details?: object): void;
}

/** Live updates to every subscribed operator. */
export interface Broadcaster {
  broadcast(u: Update): void;
  /** the host's current view */
  pushHost(name: string): void;
  /** the hub's current view (store, job counts) */
  pushHub(): void;
}

/** A backup a link carries out: the volumes and the point each one's incremental is based on. */
export interface LinkJob {
  jobId: number;
  full: boolean;
  volumes: { name: string; volumeId: number; basePointId: number | null }[];
  /** a failover's final sync: the agent runs its pre_freeze/post_thaw hooks around it */
  quiesce?: boolean;
}

/** One connected agent as the hub's services use it. */
export interface AgentLink {
  readonly host: string;
  /** hello received: jobs may start */
  readonly ready: boolean;
  readonly closed: boolean;
  send(msg: object): void;
  close(code: number, reason: string): void;
  startJob(job: LinkJob): void;
  abortJob(reason: string): void;
  fetchLogs(maxBytes: number): Promise<LogTail>;
  /** failback: hashes of and writes into the host's own volumes */
  readonly volumes: AgentVolumeIo;
  /** dr: the agent runs at the DR site on the recovered image (undefined: primary) */
  readonly site?: 'primary' | 'dr';
}

/** The connected agents by host name and site (agent-links.ts). */
export interface AgentLinks {
  /** the link that serves the host now: the DR site's while it is failed over, the primary's otherwise */
  get(host: string): AgentLink | undefined;
  /** the link of one site of a host */
  site(host: string, site: 'primary' | 'dr'): AgentLink | undefined;
  /** some link of the host is connected */
  anyReady(host: string): boolean;
  values(): Iterable<AgentLink>;
}

/** Catalog slices (one per aggregate) as the hub's modules see them. */
export type HostRepo = Pick<Catalog, 'hostByName' | 'hostById' | 'hosts' | 'volumesOf' | 'volume' | 'volumeById'>;
export type PointRepo = Pick<Catalog, 'points' | 'point' | 'latestPoint' | 'latestPointAt' | 'pointsOfJob' | 'copiesOfPoint'>;
export type JobRepo = Pick<Catalog, 'job' | 'jobsInState' | 'insertJob' | 'updateJob' | 'recentJobs'>;

/** A job the hub carries out itself (verify, restore): progress and abort as for any job. */
export type HubTask<P = unknown> = (p: P, signal: AbortSignal, progress: (done: number, total: number) => void) => Promise<void>;
