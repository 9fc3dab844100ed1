// QMP operations on one volume's block node: its dirty bitmaps, and the point-in-time view
// ("fleece") a backup reads from. One transaction starts copy-before-write into a qcow2
// scratch (blockdev-backup sync=none), adds the next bitmap and freezes the current one; the
// scratch is then exported read-only over NBD together with the frozen bitmap.
import fs from 'node:fs';
import type { NbdAddress } from '../../src/protocol/nbd/client.js';
import { QmpError, type QmpClient } from '../qmp/client.js';
import type { PhaseTimes } from './phase-times.js';

export interface BitmapInfo {
  name: string;
  recording: boolean;
  busy: boolean;
  /** dirty bytes */
  count: number;
  granularity: number;
  persistent: boolean;
  inconsistent: boolean;
}

interface NamedNode {
  'node-name': string;
  drv: string;
  file: string;
  image?: { 'virtual-size'?: number; filename?: string };
  'dirty-bitmaps'?: { name?: string; recording?: boolean; busy?: boolean; count?: number; granularity?: number; persistent?: boolean; inconsistent?: boolean }[];
}

const FILTERS = new Set(['copy-before-write', 'snapshot-access', 'throttle', 'blkdebug', 'preallocate']);

/**
 * The node of a volume on a daemon: the node behind the export whose id is the volume's
 * name, else the only export, else the format node of the image file at `image`.
 */
export async function findVolumeNode(qmp: QmpClient, volume: string, image: string): Promise<string> {
  const exports = (await qmp.execute<{ id: string; 'node-name': string }[]>('query-block-exports')).filter((e) => !e.id.startsWith('drc-'));
  const byId = exports.find((e) => e.id === volume) ?? (exports.length === 1 ? exports[0] : undefined);
  const nodes = await qmp.execute<NamedNode[]>('query-named-block-nodes', { flat: true });
  if (byId && !byId['node-name'].startsWith('#')) return byId['node-name'];
  const real = fs.existsSync(image) ? fs.realpathSync(image) : image;
  const candidates = nodes.filter((n) => (n.file === image || n.file === real) && !FILTERS.has(n.drv) && !n['node-name'].startsWith('drc-fleece'));
  const format = candidates.find((n) => n.drv !== 'file' && n.drv !== 'host_device') ?? candidates[0];
  if (!format) throw new QmpError('query-named-block-nodes', 'not-found', `no block node for volume ${volume} (image ${image}) on ${qmp.path}`);
  return format['node-name'];
}

export class VolumeNode {
  readonly fleeceId: string;
  /** size of a fresh scratch file made ahead of the next freeze, or null */
  private prepared: number | null = null;

  constructor(
    readonly qmp: QmpClient,
    readonly node: string,
    readonly volume: string,
    /** the qcow2 scratch file that holds what copy-before-write saved */
    readonly scratch: string,
  ) {
    this.fleeceId = `drc-fleece-${volume}`;
  }

  private async info(): Promise<NamedNode> {
    const nodes = await this.qmp.execute<NamedNode[]>('query-named-block-nodes', { flat: true });
    const n = nodes.find((x) => x['node-name'] === this.node);
    if (!n) throw new QmpError('query-named-block-nodes', 'not-found', `block node ${this.node} of volume ${this.volume} is gone`);
    return n;
  }

  async size(): Promise<number> {
    const size = (await this.info()).image?.['virtual-size'];
    if (typeof size !== 'number') throw new QmpError('query-named-block-nodes', 'malformed', `no virtual size for node ${this.node}`);
    return size;
  }

  async bitmaps(): Promise<BitmapInfo[]> {
    return ((await this.info())['dirty-bitmaps'] ?? [])
      .filter((b) => typeof b.name === 'string')
      .map((b) => ({
        name: b.name!,
        recording: b.recording === true,
        busy: b.busy === true,
        count: b.count ?? 0,
        granularity: b.granularity ?? 0,
        persistent: b.persistent === true,
        inconsistent: b.inconsistent === true,
      }));
  }

  /** The raw image file the node reads straight through, when the agent can read it too; else null. */
  async rawFile(): Promise<string | null> {
    const n = await this.info();
    return rawImageFile(n.drv, n.file, n.image?.['virtual-size'] ?? -1);
  }

  /** Whether the image keeps bitmaps across daemon restarts (qcow2). */
  async canPersist(): Promise<boolean> {
    return (await this.info()).drv === 'qcow2';
  }

  async addBitmap(name: string, granularity: number, opts: { persistent: boolean; disabled?: boolean }): Promise<void> {
    await this.qmp.execute('block-dirty-bitmap-add', { node: this.node, name, granularity, persistent: opts.persistent, disabled: opts.disabled ?? false });
  }

  async removeBitmap(name: string): Promise<void> {
    await this.qmp.execute('block-dirty-bitmap-remove', { node: this.node, name });
  }

  /** Fold `others` into `into` and let `into` record again (undoes a freeze that was not committed). */
  async mergeBack(into: string, others: string[]): Promise<void> {
    await this.qmp.execute('transaction', {
      actions: [
        ...others.map((b) => ({ type: 'block-dirty-bitmap-merge', data: { node: this.node, target: into, bitmaps: [b] } })),
        { type: 'block-dirty-bitmap-enable', data: { node: this.node, name: into } },
        ...others.map((b) => ({ type: 'block-dirty-bitmap-remove', data: { node: this.node, name: b } })),
      ],
    });
  }

  /**
   * The point in time: one transaction starts copy-before-write into the scratch, adds
   * `next` (recording from this instant) and freezes `current`; then the scratch (backed by
   * the live node) is exported read-only with the frozen bitmap.
   */
  async freeze(o: { current: string | null; next: string; granularity: number; persistent: boolean; size: number }, times?: PhaseTimes): Promise<void> {
    await this.prepareScratch(o.size);
    this.prepared = null;
    times?.lap('scratch');
    await this.qmp.execute('blockdev-add', { driver: 'qcow2', 'node-name': this.fleeceId, file: { driver: 'file', filename: this.scratch }, backing: this.node });
    times?.lap('blockdevAdd');
    await this.qmp.execute('transaction', {
      actions: [
        { type: 'blockdev-backup', data: { device: this.node, target: this.fleeceId, sync: 'none', 'job-id': this.fleeceId } },
        { type: 'block-dirty-bitmap-add', data: { node: this.node, name: o.next, granularity: o.granularity, persistent: o.persistent } },
        ...(o.current ? [{ type: 'block-dirty-bitmap-disable', data: { node: this.node, name: o.current } }] : []),
      ],
    });
    times?.lap('freeze');
    await this.qmp.execute('block-export-add', {
      // allocation depth: which ranges the scratch holds (a full reads the others from a raw file, qemu-full.ts)
      type: 'nbd', id: this.fleeceId, 'node-name': this.fleeceId, name: this.fleeceId, writable: false, 'allocation-depth': true, bitmaps: o.current ? [o.current] : [],
    });
    times?.lap('exportAdd');
  }

  /**
   * An empty qcow2 scratch for the next freeze, made now so the freeze itself need not wait
   * for it. The daemon makes it (blockdev-create), not `qemu-img`: a child process would
   * fork the agent, and after a fork every page the agent has written faults once more on
   * its next write (copy-on-write), which costs the next backup tens of milliseconds.
   */
  async prepareScratch(size: number): Promise<void> {
    if (this.prepared === size && fs.existsSync(this.scratch)) return;
    fs.rmSync(this.scratch, { force: true });
    const fileNode = `drc-scratch-${this.volume}`;
    if ((await this.qmp.execute<NamedNode[]>('query-named-block-nodes', { flat: true })).some((n) => n['node-name'] === fileNode)) {
      await this.qmp.execute('blockdev-del', { 'node-name': fileNode });
    }
    await this.createJob({ driver: 'file', filename: this.scratch, size: 0 });
    await this.qmp.execute('blockdev-add', { driver: 'file', 'node-name': fileNode, filename: this.scratch });
    try {
      await this.createJob({ driver: 'qcow2', file: fileNode, size });
    } finally {
      await this.qmp.execute('blockdev-del', { 'node-name': fileNode });
    }
    this.prepared = size;
  }

  /** Run one blockdev-create job to its end and dismiss it; its error, if any, as a QmpError. */
  private async createJob(options: Record<string, unknown>): Promise<void> {
    const id = `drc-create-${this.volume}`;
    const jobs = async () => (await this.qmp.execute<{ id: string; status: string; error?: string }[]>('query-jobs')).filter((j) => j.id === id);
    // a job left by an agent that died half-way
    for (const j of await jobs()) {
      if (j.status !== 'concluded') await this.qmp.execute('job-cancel', { id }).catch(() => undefined);
      await this.until(async () => (await jobs()).every((x) => x.status === 'concluded'), `job ${id} to end`);
      await this.qmp.execute('job-dismiss', { id });
    }
    let concluded = false;
    const off = this.qmp.onEvent((e) => void (concluded ||= e.event === 'JOB_STATUS_CHANGE' && e.data.id === id && e.data.status === 'concluded'));
    try {
      await this.qmp.execute('blockdev-create', { 'job-id': id, options });
      // the event usually comes with the next reply; asking again is the fallback
      await this.until(async () => concluded || (await jobs()).every((j) => j.status === 'concluded'), `job ${id} to end`, 30_000);
    } finally {
      off();
    }
    const error = (await jobs())[0]?.error;
    await this.qmp.execute('job-dismiss', { id });
    if (error) throw new QmpError('blockdev-create', 'GenericError', `creating ${this.scratch} (${String(options.driver)}): ${error}`);
  }

  /** Tear the point-in-time view down; whatever part of it exists (also after a crash). */
  async thaw(): Promise<void> {
    await this.deleteExport(this.fleeceId);
    const jobs = await this.qmp.execute<{ device: string }[]>('query-block-jobs');
    if (jobs.some((j) => j.device === this.fleeceId)) {
      await this.qmp.execute('block-job-cancel', { device: this.fleeceId, force: true });
      await this.until(async () => !(await this.qmp.execute<{ device: string }[]>('query-block-jobs')).some((j) => j.device === this.fleeceId), 'the fleece job to end');
    }
    const nodes = await this.qmp.execute<NamedNode[]>('query-named-block-nodes', { flat: true });
    if (nodes.some((n) => n['node-name'] === this.fleeceId)) await this.qmp.execute('blockdev-del', { 'node-name': this.fleeceId });
    if (this.prepared === null) fs.rmSync(this.scratch, { force: true });
  }

  async deleteExport(id: string): Promise<void> {
    const exists = async () => (await this.qmp.execute<{ id: string }[]>('query-block-exports')).some((e) => e.id === id);
    if (!(await exists())) return;
    await this.qmp.execute('block-export-del', { id, mode: 'hard' }).catch((e: unknown) => {
      if (!(e instanceof QmpError && /not found|shutting down/i.test(e.message))) throw e;
    });
    await this.until(async () => !(await exists()), `export ${id} to go away`);
  }

  /** A read-only export of the live node with a frozen copy of `bitmap`, for a look at the backlog. */
  async peek<T>(bitmap: string, granularity: number, look: (exportName: string, context: string) => Promise<T>): Promise<T> {
    const id = `drc-peek-${this.volume}`;
    await this.deleteExport(id);
    if ((await this.bitmaps()).some((b) => b.name === id)) await this.removeBitmap(id);
    await this.addBitmap(id, granularity, { persistent: false, disabled: true });
    try {
      await this.qmp.execute('block-dirty-bitmap-merge', { node: this.node, target: id, bitmaps: [bitmap] });
      await this.qmp.execute('block-export-add', { type: 'nbd', id, 'node-name': this.node, name: id, writable: false, bitmaps: [id] });
      return await look(id, `qemu:dirty-bitmap:${id}`);
    } finally {
      await this.deleteExport(id);
      await this.removeBitmap(id);
    }
  }

  /** Start the daemon's NBD server at `addr` unless one is already running. */
  async ensureNbdServer(addr: NbdAddress): Promise<void> {
    // nbd-server-start takes the legacy (boxed) socket address
    const a = 'path' in addr ? { type: 'unix', data: { path: addr.path } } : { type: 'inet', data: { host: addr.host, port: String(addr.port) } };
    await this.qmp.execute('nbd-server-start', { addr: a }).catch((e: unknown) => {
      if (!(e instanceof QmpError && /already running/i.test(e.message))) throw e;
    });
  }

  private async until(ok: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > end) throw new QmpError('wait', 'timeout', `timed out waiting for ${what} on ${this.qmp.path}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/**
 * The file a raw format node reads straight through, when the agent can read it too and it
 * holds exactly the volume (same size: no offset or size limit on the node); else null.
 */
function rawImageFile(drv: string, file: string | undefined, virtualSize: number): string | null {
  if (drv !== 'raw' || !file) return null;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size !== virtualSize) return null;
    fs.accessSync(file, fs.constants.R_OK);
    return file;
  } catch {
    return null;
  }
}
