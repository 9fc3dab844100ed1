// The agents' side of the hub: who may connect, one session per host and site, and what each agent
// message changes (volumes, live bitmaps and bytes, telemetry, committed points, job ends).
import type { WebSocket } from 'ws';
import type { Catalog } from '../catalog/catalog.js';
import type { AgentMessageOf } from '../protocol/agent.js';
import { CLOSE, type ProtocolError } from '../protocol/errors.js';
import type { BlockStore } from '../store/block-store.js';
import type { SiteLinks } from './agent-links.js';
import { AgentSession, type SessionHost, type SessionJob } from './agent-session.js';
import { onPointCommitted, type ChangeWatchPorts } from './change-stats.js';
import { RejectedLogins } from './login-limiter.js';
import type { JobRunner } from './jobs.js';
import type { LiveState } from './live.js';
import type { HubMonitoring } from './monitoring.js';
import type { Broadcaster, Clock, HostRepo, HubLog, Journal, PointRepo } from './ports.js';
import type { VolumeReceive } from './receive.js';
import { tokenMatches } from './tokens.js';
import { pointView } from './wire.js';

/** What the agents' side uses. */
export interface AgentDeskPorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & Pick<Catalog, 'tx' | 'upsertVolume'>;
  store: BlockStore;
  live: LiveState;
  /** the sessions by host and site: the agent links every other service sees */
  sessions: SiteLinks<AgentSession>;
  journal: Journal;
  feed: Broadcaster;
  jobs: Pick<JobRunner, 'pump' | 'progress' | 'volumeCommitted' | 'finished'>;
  monitoring: Pick<HubMonitoring, 'tokenExpired' | 'onHello' | 'onBitmap' | 'onBytes' | 'onMetrics' | 'onPong' | 'onVolumeCommitted'>;
  hubName: string;
  log: HubLog;
  heartbeatTimeoutMs: number;
  /** change statistics and suspect marks of committed points */
  change: ChangeWatchPorts['change'];
  /** the hub is stopping: closing sessions leave the catalog alone */
  stopping(): boolean;
}

export class AgentDesk implements SessionHost {
  constructor(private readonly p: AgentDeskPorts) {}

  get hubName(): string {
    return this.p.hubName;
  }

  get store(): BlockStore {
    return this.p.store;
  }

  /** Once a second: drop links whose agent has not been heard for the heartbeat timeout. */
  dropSilent(): void {
    const timeout = this.p.heartbeatTimeoutMs;
    for (const s of [...this.pending, ...this.p.sessions.values()]) {
      // while the hub holds back an agent's frames, its heartbeats wait unread behind them
      if (s.readingPaused) this.heard.set(s, this.p.clock.elapsed());
      const heard = this.heard.get(s) ?? 0;
      if (this.p.clock.elapsed() - heard > timeout) {
        this.p.log('warning', `agent ${s.host}${siteOf(s)}: no heartbeat for ${timeout} ms; dropping the link`);
        s.ws.terminate();
      }
    }
  }

  /** when each link was last heard, on the monotonic clock: a jump of the wall clock drops no link */
  private readonly heard = new WeakMap<AgentSession, number>();

  /** connected, no hello yet: the site (and so the session it replaces) is not known */
  private readonly pending = new Set<AgentSession>();

  /** rejected logins are recorded once a minute per source address */
  private readonly rejected = new RejectedLogins();

  authenticate(host: string, token: string, remote: string): string | null {
    const h = host ? this.p.catalog.hostByName(host) : undefined;
    let why: string | null = null;
    if (!host) why = 'no host name given';
    else if (!token) why = 'no token given';
    else if (!h) why = `unknown host ${host}`;
    else if (h.revoked) why = `token of ${host} is revoked`;
    else if (!tokenMatches(token, h.tokenHash)) why = `wrong token for ${host}`;
    else if (this.p.monitoring.tokenExpired(h.id)) why = `token of ${host} expired`;
    if (!why) this.p.journal.audit(`agent:${host}`, 'agent.connect', host, 'accepted', { remote, reason: null });
    else {
      const n = this.rejected.note(remote, this.p.clock.now());
      if (n.record) {
        const more = n.suppressed > 0 ? ` (and ${n.suppressed} more rejected from ${RejectedLogins.sourceOf(remote)} in the last window)` : '';
        this.p.journal.audit(`agent:${host || '?'}`, 'agent.connect', host || null, 'rejected', { remote, reason: why, suppressed: n.suppressed });
        this.p.journal.event('warning', 'agent.auth.rejected', h ? host : null, `agent connection from ${remote} rejected: ${why}${more}`, { suppressed: n.suppressed });
      }
    }
    // the agent is told the same for an unknown host as for a wrong token: a 401 names no host
    return why === null ? null : host && token ? 'unknown host, or a wrong, revoked or expired token' : why;
  }

  onConnection(ws: WebSocket, host: string, remote: string): void {
    const s = new AgentSession(ws, host, remote, this);
    this.pending.add(s);
    this.p.live.host(host).lastSeen = this.p.clock.now();
    this.heard.set(s, this.p.clock.elapsed());
  }

  onHello(s: AgentSession, m: AgentMessageOf<'hello'>): void {
    const h = this.p.catalog.hostByName(s.host)!;
    // a new connection replaces only the session of its own site: the primary agent and the
    // DR site's stay connected side by side
    this.pending.delete(s);
    const old = this.p.sessions.set(s);
    if (old) old.close(CLOSE.replaced, 'replaced by a new connection');
    this.p.catalog.tx(() => {
      // the DR site's agent names the recovered image: the volume keeps its source path
      const known = new Set(this.p.catalog.volumesOf(h.id).map((v) => v.name));
      for (const v of m.volumes) if (s.site === 'primary' || !known.has(v.name)) this.p.catalog.upsertVolume(h.id, v.name, v.path, v.size, v.blockSize);
    });
    const l = this.p.live.host(s.host);
    l.link = 'connected';
    l.sites.set(s.site, { version: m.agentVersion, remote: s.remote, since: this.p.clock.iso() });
    // the host's version and trackers are its serving agent's
    if (this.serves(s) || !this.p.sessions.get(s.host)) {
      l.agentVersion = m.agentVersion;
      l.trackers = new Map(m.volumes.map((v) => [v.name, v.tracker]));
    }
    this.p.journal.event('info', 'host.connected', s.host, `host ${s.host}${siteOf(s)} connected from ${s.remote} (agent ${m.agentVersion}, ${m.volumes.length} volume(s))`);
    this.p.feed.pushHost(s.host);
    this.p.monitoring.onHello(s);
    // a failed-over host's agent is told again each time it connects: it must not replicate;
    // an agent at the DR site replicates only while the host runs there
    if (h.failedOver && s.site === 'primary') s.send({ type: 'fence', reason: `host ${s.host} is failed over` });
    // an agent still fenced from before a failback or cancel the hub finished while it was away
    if (!h.failedOver && s.site === 'primary') s.send({ type: 'unfence', reason: `host ${s.host} is home (not failed over)` });
    if (!h.failedOver && s.site === 'dr') s.send({ type: 'fence', reason: `host ${s.host} is not failed over: nothing runs at the DR site` });
    this.p.jobs.pump();
  }

  /** the session is the one backups of its host go to now */
  private serves(s: AgentSession): boolean {
    return this.p.sessions.get(s.host) === s;
  }

  onSeen(s: AgentSession): void {
    this.p.live.host(s.host).lastSeen = this.p.clock.now();
    this.heard.set(s, this.p.clock.elapsed());
  }

  onBitmap(s: AgentSession, m: AgentMessageOf<'bitmap'>): void {
    // a job's volume announced while its scan still runs says nothing of the backlog yet
    if (m.scanning) return;
    const dirty = {
      blockCount: m.blockCount,
      blockSize: m.blockSize,
      dirtyCount: m.dirtyCount,
      dirtyBytes: Math.min(m.size, m.dirtyCount * m.blockSize),
      bitmap: m.bitmap,
      time: new Date(m.time).toISOString(),
    };
    // a bitmap of the agent that does not serve the host (the fenced source while failed over)
    // is not the host's backlog
    if (!this.serves(s)) return;
    this.p.live.host(s.host).dirty.set(m.volume, dirty);
    // the scan of a job's volume is over: from here on its progress is the transfer's, and the
    // watchdog watches it (an agent frozen before its first transfer report is caught too)
    if (m.jobId) this.p.jobs.progress(m.jobId, 'transfer', 0, dirty.dirtyBytes);
    this.p.monitoring.onBitmap(s, m, dirty.dirtyBytes);
    this.p.feed.broadcast({ type: 'bitmap', host: s.host, volume: m.volume, dirty });
  }

  onProgress(jobId: number, _volume: string, phase: 'scan' | 'transfer', doneBytes: number, totalBytes: number): void {
    this.p.jobs.progress(jobId, phase, doneBytes, totalBytes);
  }

  onBytes(s: AgentSession, n: number): void {
    this.p.live.addBytes(s.host, n);
    this.p.monitoring.onBytes(s, n);
  }

  onMetrics(s: AgentSession, m: AgentMessageOf<'metrics'>): void {
    if (this.serves(s)) this.p.monitoring.onMetrics(s, m);
  }

  onPong(s: AgentSession, m: AgentMessageOf<'pong'>): void {
    if (this.serves(s)) this.p.monitoring.onPong(s, m);
  }

  onAgentEvent(s: AgentSession, m: AgentMessageOf<'event'>): void {
    this.p.journal.event('warning', 'bitmap.invalidated', s.host, `host ${s.host} volume ${m.volume}: ${m.message}`, { volume: m.volume });
  }

  commit(job: SessionJob, vol: VolumeReceive, merkleRoot: string, site: 'primary' | 'dr'): Promise<number> {
    const spec = job.volumes.find((v) => v.name === vol.name)!;
    return this.p.store.commitPointStored(
      {
        volumeId: spec.volumeId,
        jobId: job.jobId,
        time: this.p.clock.iso(),
        type: vol.mode,
        parentId: vol.mode === 'incremental' ? spec.basePointId : null,
        size: vol.size,
        blockSize: vol.blockSize,
        blockCount: vol.blockCount,
        entries: vol.manifestEntries(),
        merkleRoot,
        site,
      },
      vol.writer,
    );
  }

  onVolumeCommitted(s: AgentSession, jobId: number, volume: string, pointId: number, vol: VolumeReceive): void {
    onPointCommitted({ catalog: this.p.catalog, change: this.p.change, journal: this.p.journal }, s.host, volume, pointId, vol.tally);
    const p = this.p.catalog.point(pointId)!;
    this.p.jobs.volumeCommitted(jobId, p.bytesNew, vol.bytesWire);
    const host = s.host;
    // the committed generation is now the base: the backlog is what changed since
    const l = this.p.live.host(host);
    const d = l.dirty.get(volume);
    if (d) l.dirty.set(volume, { ...d, dirtyCount: 0, dirtyBytes: 0, bitmap: Buffer.alloc(Math.ceil(d.blockCount / 8)).toString('base64') });
    this.p.monitoring.onVolumeCommitted(host, volume);
    this.p.feed.broadcast({ type: 'point', point: pointView(this.p.catalog, p) });
    this.p.journal.event('info', 'point.committed', host, `host ${host} volume ${volume}: recovery point ${pointId} (${p.type}, ${p.changedBlocks} changed blocks)`);
    this.p.feed.pushHost(host);
  }

  onJobFinished(jobId: number, error: string | null): void {
    this.p.jobs.finished(jobId, error);
  }

  onProtocolError(s: AgentSession, e: ProtocolError): void {
    this.p.journal.event('warning', 'agent.protocol', s.host, `agent ${s.host} (${s.remote}) closed: ${e.code}: ${e.message}`);
    this.p.journal.audit(`agent:${s.host}`, 'agent.protocol-error', s.host, 'closed', { code: e.code, message: e.message });
  }

  onStoreFull(s: AgentSession, message: string): void {
    this.p.journal.event('critical', 'store.full', s.host, `backup of ${s.host} failed: ${message}; free space in the data directory`);
  }

  onClosed(s: AgentSession): void {
    this.pending.delete(s);
    if (this.p.stopping() || !this.p.sessions.delete(s)) return;
    const l = this.p.live.host(s.host);
    l.sites.delete(s.site);
    // the host's link is up while either of its agents is connected
    l.link = this.p.sessions.anyReady(s.host) ? 'connected' : 'disconnected';
    this.p.journal.event('warning', 'host.disconnected', s.host, `host ${s.host}${siteOf(s)} disconnected`, { closeCode: s.closeCode, site: s.site });
    this.p.feed.pushHost(s.host);
  }
}

/** ' (DR site)' for the agent on the recovered image, nothing for the primary. */
function siteOf(s: AgentSession): string {
  return s.site === 'dr' ? ' (DR site)' : '';
}
