// One connected agent, from the hub's side: validates every message in order and drives
// the backup jobs the job runner hands it.
import type WebSocket from 'ws';
import { PROTOCOL_VERSION, parseAgentMessage, encodeIndices, type AgentMessage, type AgentMessageOf } from '../protocol/agent.js';
import { CLOSE, ProtocolError } from '../protocol/errors.js';
import { READ_FRAME_VOLUME_INDEX, decodeBlockFrame } from '../protocol/frames.js';
import type { BlockStore } from '../store/block-store.js';
import { StoreError } from '../store/errors.js';
import { LogRequests, type LogTail } from './agent-logs.js';
import { BlockReadRequests } from './block-reads.js';
import { isDiskFull } from './disk-full.js';
import type { AgentLink, LinkJob } from './ports.js';
import { VolumeReceive } from './receive.js';
import { VolumeRequests } from './volume-requests.js';

export type SessionJob = LinkJob;

/** What a session needs from the hub. */
export interface SessionHost {
  hubName: string;
  store: BlockStore;
  onHello(s: AgentSession, m: AgentMessageOf<'hello'>): void;
  onSeen(s: AgentSession): void;
  onBitmap(s: AgentSession, m: AgentMessageOf<'bitmap'>): void;
  onProgress(jobId: number, volume: string, phase: 'scan' | 'transfer', doneBytes: number, totalBytes: number): void;
  onBytes(s: AgentSession, n: number): void;
  onMetrics(s: AgentSession, m: AgentMessageOf<'metrics'>): void;
  onPong(s: AgentSession, m: AgentMessageOf<'pong'>): void;
  onAgentEvent(s: AgentSession, m: AgentMessageOf<'event'>): void;
  commit(job: SessionJob, vol: VolumeReceive, merkleRoot: string, site: 'primary' | 'dr'): Promise<number>;
  onVolumeCommitted(s: AgentSession, jobId: number, volume: string, pointId: number, vol: VolumeReceive): void;
  onJobFinished(jobId: number, error: string | null): void;
  onProtocolError(s: AgentSession, e: ProtocolError): void;
  /** writing the store failed for lack of space */
  onStoreFull(s: AgentSession, message: string): void;
  onClosed(s: AgentSession): void;
}

export class AgentSession implements AgentLink {
  private helloSeen = false;
  job: SessionJob | null = null;
  private volumeIndex = 0;
  private current: VolumeReceive | null = null;
  closed = false;
  /** hello received: volumes registered, jobs may start */
  ready = false;
  /** WebSocket close code once closed (1000/1001: the agent stopped cleanly) */
  closeCode: number | null = null;
  private readonly logRequests = new LogRequests();
  /** failback: block hashes of a source volume, and writes into it */
  readonly volumes: VolumeRequests;
  /** as the hello said: primary, or an agent on the recovered image at the DR site */
  site: 'primary' | 'dr' = 'primary';
  /** repair: blocks read from the host's volumes */
  readonly blocks: BlockReadRequests;
  /** frames are not read while the store catches up (sealing, uploads) */
  private paused = false;

  constructor(
    readonly ws: WebSocket,
    readonly host: string,
    readonly remote: string,
    private readonly hub: SessionHost,
  ) {
    this.blocks = new BlockReadRequests((m) => this.send(m));
    this.volumes = new VolumeRequests({ send: (m) => this.send(m), sendBinary: (b) => void (this.closed || this.ws.send(b)), bufferedAmount: () => this.ws.bufferedAmount, closed: () => this.closed });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.closed) return;
      try {
        if (isBinary) this.onBinary(data);
        else this.onMessage(parseAgentMessage(data.toString()));
        this.hub.onSeen(this);
      } catch (e) {
        if (e instanceof ProtocolError) this.fail(e);
        else if (e instanceof StoreError) this.failJob(e.message);
        else if (isDiskFull(e)) {
          // the store is full, not the agent at fault: fail the job (its pack is dropped), keep the link
          const reason = `the hub's store is full: ${(e as Error).message}`;
          this.failJob(reason);
          this.hub.onStoreFull(this, reason);
        }
        else this.fail(new ProtocolError('malformed', (e as Error).message));
      }
    });
    ws.on('close', (code: number) => {
      this.closed = true;
      this.closeCode = code;
      this.logRequests.failAll(`agent ${this.host} disconnected`);
      this.volumes.failAll(`agent ${this.host} disconnected`);
      this.blocks.failAll(`agent ${this.host} disconnected`);
      if (this.job) this.finishJob('agent disconnected during the backup');
      this.hub.onClosed(this);
    });
    ws.on('error', () => undefined);
  }

  send(msg: object): void {
    if (!this.closed) this.ws.send(JSON.stringify(msg));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason.slice(0, 120));
  }

  /** Close this peer for a protocol violation; the hub keeps serving everyone else. */
  fail(e: ProtocolError): void {
    this.hub.onProtocolError(this, e);
    if (this.job) this.finishJob(`protocol error: ${e.message}`);
    this.close(CLOSE.protocol, `${e.code}: ${e.message}`);
    this.closed = true;
    // do not wait for a misbehaving peer's close handshake
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  /** The tail of the agent's log file, fetched over this connection. */
  fetchLogs(maxBytes: number): Promise<LogTail> {
    if (this.closed || !this.ready) return Promise.reject(new Error(`agent ${this.host} is not connected`));
    return this.logRequests.request((m) => this.send(m), maxBytes);
  }

  startJob(job: SessionJob): void {
    this.job = job;
    this.volumeIndex = 0;
    this.current = null;
    this.send({ type: 'start', jobId: job.jobId, full: job.full, volumes: job.volumes.map((v) => ({ name: v.name, basePointId: v.basePointId })), ...(job.quiesce ? { quiesce: true } : {}) });
  }

  abortJob(reason: string): void {
    if (!this.job) return;
    this.send({ type: 'abort', jobId: this.job.jobId, reason });
    this.finishJob(reason);
  }

  private finishJob(error: string | null): void {
    const job = this.job;
    if (!job) return;
    if (this.current) this.hub.store.discardWriter(this.current.writer);
    this.current = null;
    this.job = null;
    this.resume();
    this.hub.onJobFinished(job.jobId, error);
  }

  private failJob(reason: string): void {
    if (this.job) this.send({ type: 'abort', jobId: this.job.jobId, reason });
    this.finishJob(reason);
  }

  private activeJob(jobId: number): SessionJob {
    if (!this.job || this.job.jobId !== jobId) throw new ProtocolError('out-of-order', `job ${jobId} is not running on this agent`);
    return this.job;
  }

  private currentVolume(jobId: number, volume: string): VolumeReceive {
    this.activeJob(jobId);
    if (!this.current || this.current.name !== volume) throw new ProtocolError('out-of-order', `volume ${volume} has not started`);
    return this.current;
  }

  private onMessage(m: AgentMessage): void {
    if (!this.helloSeen && m.type !== 'hello') throw new ProtocolError('out-of-order', `${m.type} before hello`);
    switch (m.type) {
      case 'hello':
        if (this.helloSeen) throw new ProtocolError('out-of-order', 'second hello');
        if (m.version !== PROTOCOL_VERSION) throw new ProtocolError('version', `protocol version ${m.version}, hub speaks ${PROTOCOL_VERSION}`);
        if (m.host !== this.host) throw new ProtocolError('auth', `hello names host ${m.host}, token is for ${this.host}`);
        this.helloSeen = true;
        this.site = m.site ?? 'primary';
        this.send({ type: 'welcome', version: PROTOCOL_VERSION, hub: this.hub.hubName });
        this.ready = true;
        this.hub.onHello(this, m);
        return;
      case 'heartbeat':
      case 'log':
        return;
      case 'metrics':
        this.hub.onMetrics(this, m);
        return;
      case 'pong':
        this.hub.onPong(this, m);
        return;
      case 'event':
        this.hub.onAgentEvent(this, m);
        return;
      case 'logs':
        this.logRequests.settle(m); // a reply after its request timed out is dropped
        return;
      case 'hashes':
        this.volumes.settleHashes(m);
        return;
      case 'changes':
        this.volumes.settleChanges(m);
        return;
      case 'written':
        this.volumes.settleWritten(m);
        return;
      case 'blocks.sent':
        this.blocks.settle(m);
        return;
      case 'bitmap':
        this.onBitmap(m);
        return;
      case 'offer': {
        const vol = this.currentVolume(m.jobId, m.volume);
        const need = vol.offer(m.seq, m.entries);
        this.send({ type: 'need', jobId: m.jobId, volume: m.volume, seq: m.seq, indices: encodeIndices(need) });
        return;
      }
      case 'progress':
        this.activeJob(m.jobId);
        this.hub.onProgress(m.jobId, m.volume, m.phase, m.doneBytes, m.totalBytes);
        return;
      case 'end':
        this.onEnd(m);
        return;
      case 'failed':
        this.activeJob(m.jobId);
        this.finishJob(`agent: ${m.reason}`);
        return;
    }
  }

  private onBitmap(m: AgentMessageOf<'bitmap'>): void {
    if (Buffer.byteLength(m.bitmap, 'base64') !== Math.ceil(m.blockCount / 8)) throw new ProtocolError('malformed', 'bitmap length does not match blockCount');
    if (m.blockCount !== Math.ceil(m.size / m.blockSize)) throw new ProtocolError('malformed', 'blockCount does not match size');
    this.hub.onBitmap(this, m);
    if (m.jobId === undefined) return;
    const job = this.activeJob(m.jobId);
    const spec = job.volumes[this.volumeIndex];
    if (this.current || !spec || spec.name !== m.volume) throw new ProtocolError('out-of-order', `bitmap for volume ${m.volume} out of order`);
    if (m.mode === 'incremental' && spec.basePointId === null) throw new ProtocolError('out-of-order', 'incremental without a base point');
    this.current = new VolumeReceive(this.hub.store, spec.volumeId, m.volume, m.mode, m.blockSize, m.blockCount, m.size);
  }

  private onBinary(data: Buffer): void {
    if (!this.helloSeen) throw new ProtocolError('out-of-order', 'block frame before hello');
    const f = decodeBlockFrame(data);
    if (f.volumeIndex === READ_FRAME_VOLUME_INDEX) return this.blocks.frame(f);
    this.activeJob(f.jobId);
    if (!this.current || f.volumeIndex !== this.volumeIndex) throw new ProtocolError('out-of-order', `block frame for volume #${f.volumeIndex} out of order`);
    this.current.block(f, data.length);
    this.hub.onBytes(this, data.length);
    const wait = this.paused ? null : this.hub.store.backpressure(this.current.writer);
    if (wait) this.pauseUntil(wait);
  }

  /** the hub stopped reading this agent (its store is behind): its silence meanwhile is the hub's own */
  get readingPaused(): boolean {
    return this.paused;
  }

  /** Stop reading the agent's frames until `wait` settles: TCP backpressure reaches the agent's sends. */
  private pauseUntil(wait: Promise<void>): void {
    this.paused = true;
    this.ws.pause();
    void wait.then(() => this.resume());
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.closed) this.ws.resume();
  }

  private onEnd(m: AgentMessageOf<'end'>): void {
    const vol = this.currentVolume(m.jobId, m.volume);
    const job = this.job!;
    if (m.blockCount !== vol.blockCount || m.size !== vol.size) throw new ProtocolError('malformed', 'end does not match the bitmap');
    if (vol.missing() > 0) throw new ProtocolError('out-of-order', `end with ${vol.missing()} requested blocks not sent`);
    // the volume is done receiving; its packs go to the store before the commit (S3: uploads)
    this.current = null;
    this.hub.commit(job, vol, m.merkleRoot, this.site).then(
      (pointId) => {
        if (this.job !== job) return; // aborted or disconnected meanwhile: the agent was told
        this.volumeIndex++;
        this.hub.onVolumeCommitted(this, job.jobId, m.volume, pointId, vol);
        this.send({ type: 'committed', jobId: job.jobId, volume: m.volume, pointId });
        if (this.volumeIndex >= job.volumes.length) {
          this.job = null;
          this.hub.onJobFinished(job.jobId, null);
        }
      },
      (e: unknown) => {
        this.hub.store.discardWriter(vol.writer);
        if (this.job === job) this.failJob(e instanceof StoreError ? e.message : `commit failed: ${(e as Error).message}`);
      },
    );
  }
}
