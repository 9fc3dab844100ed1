// node dist/bench/hub-ingest.js — the hub's own work per block of a full, without the transport:
// the offer answered (VolumeReceive.offer), each frame checked (CRC-32, length) and put through
// the chunk writer into pack files in a temp dir (pack appends, trickle fdatasync), the packs
// sealed and the manifest entries built. The frames (64 KiB random blocks, 64 per offer as the
// agent sends them) are made outside the measured spans. Prints CPU seconds per GiB of the whole
// process (all threads: GC and the thread pool's fsyncs too): what bench:backup's BENCH_ONLY=hub
// lines hold besides TCP, ws and the catalog. BENCH_MIB (default 1024) and BENCH_ROUNDS (3).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VolumeReceive } from '../src/hub/receive.js';
import { encodeOffer } from '../src/protocol/agent.js';
import { CODEC_RAW, decodeBlockFrame, encodeBlockFrame } from '../src/protocol/frames.js';
import { LocalDirectoryBackend } from '../src/store/backend.js';
import { ChunkWriter } from '../src/store/chunk-writer.js';

const BLOCK = 64 * 1024;
const PER_OFFER = 64;
const MIB = Number(process.env.BENCH_MIB ?? 1024);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

async function round(backend: LocalDirectoryBackend, payloads: Buffer[], seed: number): Promise<number> {
  const blocks = (MIB * 1024 * 1024) / BLOCK;
  // no chunk is in the store yet: a full of new data
  const store = { openWriter: () => new ChunkWriter(backend, { background: true }), reuseChunks: () => new Set<string>() };
  const vol = new VolumeReceive(store, 1, 'bench', 'full', BLOCK, blocks, blocks * BLOCK);
  let cpu = 0;
  for (let o = 0; o < blocks / PER_OFFER; o++) {
    const entries = Array.from({ length: PER_OFFER }, (_, k) => ({ index: o * PER_OFFER + k, flags: 0, hash: crypto.createHash('sha256').update(`${seed} ${o} ${k}`).digest() }));
    const offer = Buffer.from(encodeOffer(entries), 'base64');
    const frames = entries.map((e) => encodeBlockFrame({ codec: CODEC_RAW, volumeIndex: 0, jobId: 1, blockIndex: e.index, rawLength: BLOCK, hash: e.hash }, payloads[e.index % payloads.length]!));
    const c0 = process.cpuUsage();
    if (vol.offer(o, offer).length !== PER_OFFER) throw new Error('every block of a new full is asked for');
    for (const f of frames) vol.block(decodeBlockFrame(f), f.length);
    cpu += cpuSeconds(process.cpuUsage(c0));
  }
  const c0 = process.cpuUsage();
  const sealed = await vol.writer.sealAsync();
  vol.manifestEntries();
  cpu += cpuSeconds(process.cpuUsage(c0));
  for (const p of sealed.packs) backend.remove(p.name);
  return cpu;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-bench-ingest-'));
  try {
    const backend = new LocalDirectoryBackend(dir);
    const payloads = Array.from({ length: 64 }, () => crypto.randomBytes(BLOCK));
    const perGiB: number[] = [];
    for (let r = 0; r < ROUNDS; r++) perGiB.push((await round(backend, payloads, r)) / (MIB / 1024));
    const s = [...perGiB].sort((a, b) => a - b);
    console.log(`drc bench hub-ingest — ${MIB} MiB full of 64 KiB blocks per round, ${ROUNDS} rounds, ${os.availableParallelism()}-core machine`);
    console.log(`hub per-block work (offer, CRC-32, chunk writer, pack appends, seal): min/median/max ${s[0]!.toFixed(3)}/${s[Math.floor((s.length - 1) / 2)]!.toFixed(3)}/${s[s.length - 1]!.toFixed(3)} cpu-s/GiB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
