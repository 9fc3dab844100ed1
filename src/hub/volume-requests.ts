// Failback over an agent's link: ask for the sha256 of every block of a source volume (or of
// just the listed blocks), for the blocks its tracker sees changed since its committed
// generation, and
// write blocks into it (a `write.begin`, raw block frames with backpressure, a `write.end`
// answered once the agent has flushed, read back and hashed them). Request ids, timeouts,
// and failing every pending request when the link drops.
import { createHash } from 'node:crypto';
import { BLOCK_LIST_MAX_ENTRIES, type AgentMessageOf } from '../protocol/agent.js';
import { CODEC_RAW, encodeBlockFrame } from '../protocol/frames.js';

export const VOLUME_REQUEST_TIMEOUT_MS = 10 * 60_000;

export interface VolumeHashes {
  size: number;
  blockSize: number;
  /** 32 bytes per block, in block order */
  sha: Buffer;
}

export interface BlockToWrite {
  index: number;
  data: Buffer;
}

/** The blocks a source's tracker sees changed since its committed generation (a point id). */
export interface SourceChanges {
  generation: number | null;
  size: number;
  blockSize: number;
  changed: number[];
}

/** What failback asks of one agent. */
export interface AgentVolumeIo {
  hashes(volume: string, signal?: AbortSignal): Promise<VolumeHashes>;
  /** sha256 of just these blocks, 32 bytes each in list order */
  hashesOf(volume: string, blocks: readonly number[], signal?: AbortSignal): Promise<Buffer>;
  changes(volume: string, signal?: AbortSignal): Promise<SourceChanges>;
  /** write the blocks into the volume; resolves with the count the agent wrote and read back */
  write(volume: string, shape: { blockSize: number; size: number }, blocks: Iterable<BlockToWrite> | AsyncIterable<BlockToWrite>, signal?: AbortSignal): Promise<number>;
}

interface Pending<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const HIGH_WATER = 16 * 1024 * 1024;

export interface VolumeLinkPorts {
  send(msg: object): void;
  sendBinary(buf: Buffer): void;
  bufferedAmount(): number;
  closed(): boolean;
}

export class VolumeRequests implements AgentVolumeIo {
  private next = 1;
  private readonly hashReplies = new Map<number, Pending<VolumeHashes> & { parts: Buffer[]; expect: number; listed: number | null }>();
  private readonly changeReplies = new Map<number, Pending<SourceChanges> & { parts: Buffer[] }>();
  private readonly writeReplies = new Map<number, Pending<number>>();

  constructor(
    private readonly link: VolumeLinkPorts,
    private readonly timeoutMs = VOLUME_REQUEST_TIMEOUT_MS,
  ) {}

  private pending<T>(map: Map<number, Pending<T>>, id: number, what: string, signal: AbortSignal | undefined, extra: object = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        map.delete(id);
        reject(new Error(`no ${what} reply within ${Math.round(this.timeoutMs / 1000)} s`));
      }, this.timeoutMs);
      map.set(id, { resolve, reject, timer, ...extra } as Pending<T>);
      signal?.addEventListener('abort', () => {
        if (!map.delete(id)) return;
        clearTimeout(timer);
        reject(new Error(`${what} aborted`));
      }, { once: true });
    });
  }

  hashes(volume: string, signal?: AbortSignal): Promise<VolumeHashes> {
    const requestId = this.next++;
    const reply = this.pending(this.hashReplies as Map<number, Pending<VolumeHashes>>, requestId, 'hashes', signal, { parts: [], expect: 0, listed: null });
    this.link.send({ type: 'hashes.get', requestId, volume });
    return reply;
  }

  async hashesOf(volume: string, blocks: readonly number[], signal?: AbortSignal): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let first = 0; first < blocks.length; first += BLOCK_LIST_MAX_ENTRIES) {
      const list = Uint32Array.from(blocks.slice(first, first + BLOCK_LIST_MAX_ENTRIES));
      const requestId = this.next++;
      const reply = this.pending(this.hashReplies as Map<number, Pending<VolumeHashes>>, requestId, 'hashes', signal, { parts: [], expect: 0, listed: list.length });
      this.link.send({ type: 'hashes.get', requestId, volume, blocks: Buffer.from(list.buffer, list.byteOffset, list.byteLength).toString('base64') });
      parts.push((await reply).sha);
    }
    return Buffer.concat(parts);
  }

  changes(volume: string, signal?: AbortSignal): Promise<SourceChanges> {
    const requestId = this.next++;
    const reply = this.pending(this.changeReplies as Map<number, Pending<SourceChanges>>, requestId, 'changes', signal, { parts: [] });
    this.link.send({ type: 'changes.get', requestId, volume });
    return reply;
  }

  settleChanges(m: AgentMessageOf<'changes'>): void {
    const p = this.changeReplies.get(m.requestId);
    if (!p) return;
    if (!m.error) p.parts.push(m.indices);
    if (!m.last && !m.error) return;
    this.changeReplies.delete(m.requestId);
    clearTimeout(p.timer);
    if (m.error) return p.reject(new Error(`agent: ${m.error}`));
    const all = Buffer.concat(p.parts);
    const changed: number[] = [];
    for (let o = 0; o + 4 <= all.length; o += 4) changed.push(all.readUInt32LE(o));
    p.resolve({ generation: m.generation, size: m.size, blockSize: m.blockSize, changed });
  }

  async write(volume: string, shape: { blockSize: number; size: number }, blocks: Iterable<BlockToWrite> | AsyncIterable<BlockToWrite>, signal?: AbortSignal): Promise<number> {
    const requestId = this.next++;
    const reply = this.pending(this.writeReplies, requestId, 'write', signal);
    let settled = false;
    // awaited below; a refusal or a drop while sending stops the sending and is not unhandled
    reply.then(() => (settled = true), () => (settled = true));
    this.link.send({ type: 'write.begin', requestId, volume, blockSize: shape.blockSize, size: shape.size });
    let count = 0;
    for await (const b of blocks) {
      if (settled || signal?.aborted || this.link.closed()) break;
      const hash = createHash('sha256').update(b.data).digest();
      this.link.sendBinary(encodeBlockFrame({ codec: CODEC_RAW, volumeIndex: 0, jobId: requestId, blockIndex: b.index, rawLength: b.data.length, hash }, b.data));
      count++;
      while (this.link.bufferedAmount() > HIGH_WATER && !this.link.closed()) await new Promise((r) => setTimeout(r, 2));
    }
    this.link.send({ type: 'write.end', requestId, volume, count });
    return reply;
  }

  settleHashes(m: AgentMessageOf<'hashes'>): void {
    const p = this.hashReplies.get(m.requestId);
    if (!p) return;
    const fail = (why: string) => {
      this.hashReplies.delete(m.requestId);
      clearTimeout(p.timer);
      p.reject(new Error(why));
    };
    if (m.error) return fail(`agent: ${m.error}`);
    if (m.first !== p.expect) return fail(`hashes of ${m.volume} out of order (block ${m.first}, expected ${p.expect})`);
    p.parts.push(m.sha);
    p.expect += m.sha.length / 32;
    if (!m.last) return;
    this.hashReplies.delete(m.requestId);
    clearTimeout(p.timer);
    const sha = Buffer.concat(p.parts);
    if (p.listed !== null) {
      if (sha.length / 32 !== p.listed) return p.reject(new Error(`agent sent ${sha.length / 32} block hashes for ${p.listed} listed blocks`));
      return p.resolve({ size: m.size, blockSize: m.blockSize, sha });
    }
    if (sha.length / 32 !== Math.ceil(m.size / m.blockSize)) return p.reject(new Error(`agent sent ${sha.length / 32} block hashes for a ${m.size}-byte volume`));
    p.resolve({ size: m.size, blockSize: m.blockSize, sha });
  }

  settleWritten(m: AgentMessageOf<'written'>): void {
    const p = this.writeReplies.get(m.requestId);
    if (!p) return;
    this.writeReplies.delete(m.requestId);
    clearTimeout(p.timer);
    if (m.error) p.reject(new Error(`agent: ${m.error}`));
    else p.resolve(m.count);
  }

  failAll(reason: string): void {
    for (const map of [this.hashReplies, this.writeReplies, this.changeReplies] as Map<number, Pending<unknown>>[]) {
      for (const p of map.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(reason));
      }
      map.clear();
    }
  }
}
