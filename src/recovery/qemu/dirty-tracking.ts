// What a failover instance's guest wrote, told by qemu itself: a dirty bitmap the hub adds on
// each disk's overlay node when the instance boots (persistent: the overlay is qcow2), frozen
// and replaced by a fresh one at each round of the reverse sync, and an NBD export of the live
// disk through which the hub reads just the dirty blocks (plus, on request, every block the
// overlay holds: all the guest wrote since it booted, even before the first bitmap). A frozen
// bitmap is removed only after its blocks reached the source; a round cut short by a hub
// restart leaves it for the next round, which merges it into its own.
import type { Extent } from '../../protocol/nbd/protocol.js';
import { NbdClient } from '../../protocol/nbd/client.js';
import { STATE_DIRTY } from '../../protocol/nbd/protocol.js';
import { diskNode } from './command-line.js';
import { InstanceMonitor, QmpCommandError } from './qmp.js';
import { socketPath } from './vm.js';

const PREFIX = 'drc-back-';
const ALLOCATION = 'qemu:allocation-depth';
/** qemu's default for a 64 KiB-cluster qcow2: one bit per block of the default block size */
export const BITMAP_GRANULARITY = 65536;

interface BitmapInfo {
  name: string;
  recording: boolean;
}

const numberOf = (name: string) => Number(name.slice(PREFIX.length));

async function withMonitor<T>(qmp: string, fn: (m: InstanceMonitor) => Promise<T>): Promise<T> {
  const m = await InstanceMonitor.connect(qmp, 5000);
  try {
    return await fn(m);
  } finally {
    m.close();
  }
}

async function bitmapsOf(m: InstanceMonitor, volume: string): Promise<BitmapInfo[]> {
  const nodes = await m.execute<{ 'node-name'?: string; 'dirty-bitmaps'?: { name?: string; recording?: boolean }[] }[]>('query-named-block-nodes', { flat: true });
  const node = nodes.find((n) => n['node-name'] === diskNode(volume));
  if (!node) throw new Error(`the instance has no disk node for volume ${volume}`);
  return (node['dirty-bitmaps'] ?? [])
    .filter((b) => b.name?.startsWith(PREFIX))
    .map((b) => ({ name: b.name!, recording: b.recording !== false }));
}

/** At boot: one recording bitmap on each disk's overlay. */
export async function startDirtyTracking(qmp: string, volumes: string[]): Promise<void> {
  await withMonitor(qmp, async (m) => {
    for (const v of volumes) {
      if ((await bitmapsOf(m, v)).some((b) => b.recording)) continue;
      await m.execute('block-dirty-bitmap-add', { node: diskNode(v), name: `${PREFIX}1`, granularity: BITMAP_GRANULARITY, persistent: true });
    }
  });
}

/** Whether the instance's disks are tracked (instances booted before tracking existed are not). */
export async function isTracked(qmp: string, volume: string): Promise<boolean> {
  return withMonitor(qmp, async (m) => (await bitmapsOf(m, volume)).length > 0);
}

/**
 * Freeze what was written so far: atomically start a new recording bitmap and stop the
 * current one, then fold any bitmap an interrupted round left into it. Returns its name.
 */
async function freeze(m: InstanceMonitor, volume: string): Promise<string> {
  const node = diskNode(volume);
  const all = await bitmapsOf(m, volume);
  const active = all.filter((b) => b.recording).sort((a, b) => numberOf(b.name) - numberOf(a.name))[0];
  if (!active) throw new Error(`volume ${volume} of the instance has no recording dirty bitmap`);
  const next = `${PREFIX}${Math.max(...all.map((b) => numberOf(b.name))) + 1}`;
  await m.execute('transaction', {
    actions: [
      { type: 'block-dirty-bitmap-add', data: { node, name: next, granularity: BITMAP_GRANULARITY, persistent: true } },
      { type: 'block-dirty-bitmap-disable', data: { node, name: active.name } },
    ],
  });
  const older = all.filter((b) => b.name !== active.name && !b.recording);
  if (older.length) {
    await m.execute('block-dirty-bitmap-merge', { node, target: active.name, bitmaps: older.map((b) => b.name) });
    for (const b of older) await m.execute('block-dirty-bitmap-remove', { node, name: b.name });
  }
  return active.name;
}

async function dropExport(m: InstanceMonitor, id: string): Promise<void> {
  const has = async () => (await m.execute<{ id: string }[]>('query-block-exports')).some((e) => e.id === id);
  if (!(await has())) return;
  await m.execute('block-export-del', { id, mode: 'hard' }).catch(() => undefined);
  for (let i = 0; i < 200 && (await has()); i++) await new Promise((r) => setTimeout(r, 25));
}

async function exportDisk(m: InstanceMonitor, dir: string, volume: string, bitmap: string | null): Promise<{ socket: string; id: string }> {
  const socket = socketPath(dir, 'back.nbd');
  const id = `drc-back-export-${volume}`;
  try {
    await m.execute('nbd-server-start', { addr: { type: 'unix', data: { path: socket } } });
  } catch (e) {
    if (!(e instanceof QmpCommandError) || !/already/i.test(e.message)) throw e;
  }
  await dropExport(m, id);
  await m.execute('block-export-add', {
    type: 'nbd', id, 'node-name': diskNode(volume), name: id, writable: false, 'allocation-depth': true, bitmaps: bitmap ? [bitmap] : [],
  });
  return { socket, id };
}

function blocksOf(extents: Extent[], take: (e: Extent) => boolean, blockSize: number, into: Set<number>): void {
  for (const e of extents) {
    if (!take(e)) continue;
    for (let i = Math.floor(e.offset / blockSize); i * blockSize < e.offset + e.length; i++) into.add(i);
  }
}

/** One round of reading the live disk: the dirty blocks, their data on demand, then `done` or `abandon`. */
export interface DirtyRound {
  /** the blocks to read (indices of the volume's block size), ascending */
  blocks: number[];
  size: number;
  /** the blocks' current data, in the order asked */
  read(indices: readonly number[]): AsyncGenerator<{ index: number; data: Buffer }>;
  /** the round's blocks reached the source: drop its bitmap */
  done(): Promise<void>;
  /** close the export, keep the bitmap for the next round */
  abandon(): Promise<void>;
}

/**
 * Freeze the bitmap of `volume` and open the live disk for reading. `overlay: true` adds
 * every block the overlay holds (everything the guest wrote since boot).
 */
export async function openRound(qmp: string, dir: string, volume: string, blockSize: number, o: { overlay: boolean; bitmap: boolean }): Promise<DirtyRound> {
  const m = await InstanceMonitor.connect(qmp, 5000);
  let frozen: string | null = null;
  let client: NbdClient | null = null;
  let id = '';
  const close = async (removeBitmap: boolean) => {
    await client?.close().catch(() => undefined);
    try {
      await dropExport(m, id);
      if (removeBitmap && frozen) await m.execute('block-dirty-bitmap-remove', { node: diskNode(volume), name: frozen });
    } finally {
      m.close();
    }
  };
  try {
    frozen = o.bitmap ? await freeze(m, volume) : null;
    const ex = await exportDisk(m, dir, volume, frozen);
    id = ex.id;
    const contexts = [...(frozen ? [`qemu:dirty-bitmap:${frozen}`] : []), ...(o.overlay ? [ALLOCATION] : [])];
    client = await NbdClient.connect({ path: ex.socket }, ex.id, { metaContexts: contexts });
    const c = client;
    const blocks = new Set<number>();
    if (frozen) blocksOf(await c.blockStatus(`qemu:dirty-bitmap:${frozen}`), (e) => (e.flags & STATE_DIRTY) !== 0, blockSize, blocks);
    // depth 1: the overlay itself holds the range (0: nowhere, 2: the image under it)
    if (o.overlay) blocksOf(await c.blockStatus(ALLOCATION), (e) => e.flags === 1, blockSize, blocks);
    const size = c.size;
    const count = Math.ceil(size / blockSize);
    return {
      blocks: [...blocks].filter((i) => i < count).sort((a, b) => a - b),
      size,
      async *read(indices) {
        // a few reads in flight: the socket stays busy while the caller sends on
        const ahead: Promise<{ index: number; data: Buffer }>[] = [];
        const fetch = (index: number) => c.read(index * blockSize, Math.min(blockSize, size - index * blockSize)).then((data) => ({ index, data }));
        let k = 0;
        for (; k < Math.min(8, indices.length); k++) ahead.push(fetch(indices[k]!));
        while (ahead.length) {
          const next = await ahead.shift()!;
          if (k < indices.length) ahead.push(fetch(indices[k++]!));
          yield next;
        }
      },
      done: () => close(true),
      abandon: () => close(false),
    };
  } catch (e) {
    await close(false).catch(() => undefined);
    throw e;
  }
}

/** Pause the guest's vCPUs (the cut-over), or let it run again (a failed cut-over). */
export async function pauseInstance(qmp: string): Promise<void> {
  await withMonitor(qmp, (m) => m.execute('stop'));
}

export async function resumeInstance(qmp: string): Promise<void> {
  await withMonitor(qmp, (m) => m.execute('cont'));
}
