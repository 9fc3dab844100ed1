// Repair on the agent: the hub asks for blocks of a volume that still hold a chunk it found
// damaged; the agent reads them as they are now and sends each with its sha256 (the hub
// keeps only those whose content is the damaged chunk). Only volumes of the agent's own
// config that it reads itself (scan tracker); nothing is written.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { compress } from 'zstd-napi';
import { decodeIndices, type HubMessageOf } from '../src/protocol/agent.js';
import { CODEC_RAW, CODEC_ZSTD, READ_FRAME_VOLUME_INDEX, encodeBlockFrame } from '../src/protocol/frames.js';
import type { LogFn } from './log.js';
import type { VolumeSpec } from './uploader.js';

export interface BlockReadPorts {
  volumes: VolumeSpec[];
  send(msg: object): void;
  /** send a binary frame; resolves once the link has room for more */
  sendBinary(frame: Buffer): Promise<void>;
  log: LogFn;
}

export async function sendBlocks(p: BlockReadPorts, m: HubMessageOf<'blocks.get'>): Promise<void> {
  const reply = (count: number, error?: string) => p.send({ type: 'blocks.sent', requestId: m.requestId, volume: m.volume, count, ...(error ? { error: error.slice(0, 2000) } : {}) });
  const v = p.volumes.find((x) => x.name === m.volume);
  if (!v) return reply(0, `volume ${m.volume} is not in this agent's config`);
  if (v.tracker === 'qemu-dirty-bitmap') return reply(0, `volume ${m.volume} is served by qemu (tracker qemu-dirty-bitmap); repair reads only volumes the agent reads itself`);
  let count = 0;
  let fd: number | null = null;
  try {
    fd = fs.openSync(v.path, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(v.blockSize);
    for (const index of decodeIndices(m.indices)) {
      const offset = index * v.blockSize;
      if (offset >= size) continue;
      const len = Math.min(v.blockSize, size - offset);
      const got = fs.readSync(fd, buf, 0, len, offset);
      if (got === 0) continue;
      const data = buf.subarray(0, got);
      const hash = createHash('sha256').update(data).digest();
      const z = compress(data, { compressionLevel: 1 });
      const useZ = z.length < data.length;
      await p.sendBinary(encodeBlockFrame({ codec: useZ ? CODEC_ZSTD : CODEC_RAW, volumeIndex: READ_FRAME_VOLUME_INDEX, jobId: m.requestId, blockIndex: index, rawLength: got, hash }, useZ ? z : data));
      count++;
    }
    p.log('info', `repair: sent ${count} block(s) of volume ${v.name} the hub asked for`);
    reply(count);
  } catch (e) {
    reply(count, `reading ${v.path}: ${(e as Error).message}`);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
