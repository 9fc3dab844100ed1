// Failback on the agent: the sha256 of every block of a volume as it is now, and writing the
// blocks the hub sends home into it. Only volumes of the agent's own config, only while the
// hub has fenced the host (it runs at the DR site), only raw files it reads itself (scan
// tracker); each block's length is checked against the volume's size and its sha256 before
// it is written, and every written block is flushed, read back and hashed again.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { BLOCK_LIST_MAX_ENTRIES, HASHES_MAX_ENTRIES, type HubMessageOf } from '../src/protocol/agent.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { CODEC_RAW, decodeBlockFrame } from '../src/protocol/frames.js';
import { changedSinceBase, hashListedBlocks } from './listed-blocks.js';
import type { LogFn } from './log.js';
import type { VolumeGeneration } from './state.js';
import { scanVolume, type ScanPool } from './trackers/scan.js';
import type { VolumeSpec } from './uploader.js';

export interface VolumeIoPorts {
  volumes: VolumeSpec[];
  pool: ScanPool;
  /** why the host is fenced, or null */
  fenced(): string | null;
  send(msg: object): void;
  log: LogFn;
  /** the volume's committed generation (its hash lists), or null */
  base(volume: string): VolumeGeneration | null;
}

interface OpenWrite {
  requestId: number;
  volume: VolumeSpec;
  fd: number;
  size: number;
  written: { index: number; length: number; sha: Buffer }[];
  error: string | null;
}

export class VolumeIo {
  private open: OpenWrite | null = null;
  /** a write refused at its begin: its frames are dropped, not a protocol error */
  private refused: number | null = null;

  constructor(private readonly p: VolumeIoPorts) {}

  /** The volume of this agent's config that failback may read and write, or why not. */
  private volume(name: string): VolumeSpec | string {
    const v = this.p.volumes.find((x) => x.name === name);
    if (!v) return `volume ${name} is not in this agent's config`;
    if (v.tracker === 'qemu-dirty-bitmap') return `volume ${name} is served by qemu (tracker qemu-dirty-bitmap); failback writes only into volumes the agent reads itself`;
    return v;
  }

  async hashes(m: HubMessageOf<'hashes.get'>): Promise<void> {
    const v = this.volume(m.volume);
    const reply = (x: object) => this.p.send({ type: 'hashes', requestId: m.requestId, volume: m.volume, ...x });
    if (typeof v === 'string') return reply({ size: 0, blockSize: 4096, first: 0, sha: '', last: true, error: v });
    try {
      const size = fs.statSync(v.path).size;
      if (m.blocks) {
        const list = new Uint32Array(m.blocks.buffer.slice(m.blocks.byteOffset, m.blocks.byteOffset + m.blocks.length - (m.blocks.length % 4)));
        const sha = await hashListedBlocks(v.path, v.blockSize, size, list);
        for (let first = 0; first < list.length || first === 0; first += HASHES_MAX_ENTRIES) {
          const end = Math.min(list.length, first + HASHES_MAX_ENTRIES);
          reply({ size, blockSize: v.blockSize, first, sha: sha.subarray(first * 32, end * 32).toString('base64'), last: end >= list.length });
          if (list.length === 0) break;
        }
        return;
      }
      const scan = await scanVolume(this.p.pool, v.path, size, v.blockSize, null, true);
      const count = scan.blockCount;
      for (let first = 0; first < count || first === 0; first += HASHES_MAX_ENTRIES) {
        const end = Math.min(count, first + HASHES_MAX_ENTRIES);
        reply({ size, blockSize: v.blockSize, first, sha: scan.sha.subarray(first * 32, end * 32).toString('base64'), last: end >= count });
        if (count === 0) break;
      }
    } catch (e) {
      reply({ size: 0, blockSize: v.blockSize, first: 0, sha: '', last: true, error: (e as Error).message.slice(0, 2000) });
    }
  }

  /** The blocks the agent's scan sees changed since its committed generation: only indices travel. */
  async changes(m: HubMessageOf<'changes.get'>): Promise<void> {
    const v = this.volume(m.volume);
    const reply = (x: object) => this.p.send({ type: 'changes', requestId: m.requestId, volume: m.volume, ...x });
    const fail = (error: string) => reply({ generation: null, size: 0, blockSize: 4096, indices: '', last: true, error });
    if (typeof v === 'string') return fail(v);
    const base = this.p.base(v.name);
    if (!base) return fail(`volume ${v.name} has no committed generation on this agent`);
    try {
      const { size, changed } = await changedSinceBase(this.p.pool, v.path, v.blockSize, base);
      const all = Uint32Array.from(changed);
      for (let first = 0; first < all.length || first === 0; first += BLOCK_LIST_MAX_ENTRIES) {
        const part = all.subarray(first, Math.min(all.length, first + BLOCK_LIST_MAX_ENTRIES));
        reply({ generation: base.generation, size, blockSize: v.blockSize, indices: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'), last: first + part.length >= all.length });
        if (all.length === 0) break;
      }
    } catch (e) {
      fail((e as Error).message.slice(0, 2000));
    }
  }

  begin(m: HubMessageOf<'write.begin'>): void {
    if (this.open) this.finish(this.open, 'replaced by a new write');
    const v = this.volume(m.volume);
    const refuse = (why: string) => (this.refused = m.requestId, this.p.send({ type: 'written', requestId: m.requestId, volume: m.volume, count: 0, error: why }));
    if (typeof v === 'string') return refuse(v);
    if (this.p.fenced() === null) return refuse(`host is not fenced: the hub writes into ${m.volume} only while the host runs at the DR site`);
    if (m.blockSize !== v.blockSize) return refuse(`block size ${m.blockSize} differs from the volume's ${v.blockSize}`);
    let fd: number;
    try {
      fd = fs.openSync(v.path, 'r+');
      const size = fs.fstatSync(fd).size;
      if (size !== m.size) {
        fs.closeSync(fd);
        refuse(`volume ${m.volume} is ${size} bytes, the DR image ${m.size}: sizes must match`);
        return;
      }
    } catch (e) {
      refuse(`cannot open ${v.path}: ${(e as Error).message}`);
      return;
    }
    this.open = { requestId: m.requestId, volume: v, fd, size: m.size, written: [], error: null };
    this.p.log('warning', `failback: writing blocks from the hub into volume ${v.name} (${v.path})`);
  }

  /** One block frame of the open write (job id = request id). */
  block(data: Buffer): void {
    const w = this.open;
    const f = decodeBlockFrame(data);
    if (f.jobId === this.refused) return;
    if (!w) throw new ProtocolError('out-of-order', 'block frame with no write open');
    if (f.jobId !== w.requestId) throw new ProtocolError('out-of-order', `block frame of write ${f.jobId}, ${w.requestId} is open`);
    if (w.error) return;
    const bs = w.volume.blockSize;
    const offset = f.blockIndex * bs;
    const expected = Math.min(bs, w.size - offset);
    if (f.codec !== CODEC_RAW) w.error = `block ${f.blockIndex}: codec ${f.codec}, expected raw`;
    else if (offset >= w.size || f.rawLength !== expected) w.error = `block ${f.blockIndex} of ${f.rawLength} bytes does not fit volume ${w.volume.name} (${w.size} bytes)`;
    else if (!createHash('sha256').update(f.payload).digest().equals(f.hash)) w.error = `block ${f.blockIndex}: sha256 does not match its data`;
    if (w.error) return;
    fs.writeSync(w.fd, f.payload, 0, f.rawLength, offset);
    w.written.push({ index: f.blockIndex, length: f.rawLength, sha: Buffer.from(f.hash) });
  }

  end(m: HubMessageOf<'write.end'>): void {
    const w = this.open;
    if (!w || w.requestId !== m.requestId) {
      this.p.send({ type: 'written', requestId: m.requestId, volume: m.volume, count: 0, error: `write ${m.requestId} is not open` });
      return;
    }
    let error = w.error;
    if (!error && w.written.length !== m.count) error = `${w.written.length} blocks arrived, the hub sent ${m.count}`;
    if (!error) error = this.readBack(w);
    this.finish(w, error);
  }

  private readBack(w: OpenWrite): string | null {
    fs.fsyncSync(w.fd);
    const buf = Buffer.alloc(w.volume.blockSize);
    for (const b of w.written) {
      const got = fs.readSync(w.fd, buf, 0, b.length, b.index * w.volume.blockSize);
      if (got !== b.length || !createHash('sha256').update(buf.subarray(0, b.length)).digest().equals(b.sha)) return `block ${b.index} reads back different from what was written`;
    }
    return null;
  }

  private finish(w: OpenWrite, error: string | null): void {
    try {
      fs.closeSync(w.fd);
    } catch {
      // already closed
    }
    if (this.open === w) this.open = null;
    if (error) this.p.log('error', `failback write into ${w.volume.name}: ${error}`);
    else this.p.log('info', `failback: ${w.written.length} blocks written into ${w.volume.name}, flushed and read back`);
    this.p.send({ type: 'written', requestId: w.requestId, volume: w.volume.name, count: error ? 0 : w.written.length, error: error ?? undefined });
  }

  close(): void {
    if (this.open) this.finish(this.open, 'agent stopping');
  }
}
