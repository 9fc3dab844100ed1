// The hub's recovered instances: VMs that drills and failovers boot on qemu targets, and NBD
// exports of points (instant recovery, `drc mount`). Rows in the catalog carry what a restarted
// hub needs to find a VM again (pid file, QMP socket); drill VMs stop at their TTL or when the
// hub stops, failover VMs keep running across hub restarts until an operator stops them.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { InstanceRow, InstanceStore } from '../catalog/instance-store.js';
import type { InstanceKind, InstanceView, PortForwardView, VmSpecView } from '../protocol/recovery.js';
import type { BlockStore } from '../store/block-store.js';
import { NbdExportServer, type NbdDamage } from '../store/nbd-server.js';
import type { Clock } from './executor.js';
import { RecoveryError } from './errors.js';
import type { VmDisk } from './qemu/command-line.js';
import { startDirtyTracking } from './qemu/dirty-tracking.js';
import { KvmMemo } from './qemu/kvm-memo.js';
import { createOverlay, firmwareFile, isInstanceProcess, requireQemu, socketPath, startVm, stopVm, tail, type RunningVm } from './qemu/vm.js';

export interface BootRequest {
  kind: 'drill' | 'failover';
  host: string;
  runId: number;
  target: string | null;
  spec: VmSpecView;
  dir: string;
  disks: { volume: string; size: number; base: VmDisk['base'] }[];
  /** guest ports the checks reach through forwards */
  guestPorts: number[];
  expiresAt: string | null;
}

export interface ExportHandle {
  socket: string;
  name: string;
  server: NbdExportServer;
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

const inUse = (port: number, bind: string) => `port ${port} on ${bind} is in use by another process`;

/** Where an instance's forwarded ports listen: loopback for a drill, every interface for a failover. */
function bindAddressOf(kind: InstanceKind): string {
  return kind === 'failover' ? '0.0.0.0' : '127.0.0.1';
}

function anyFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

export class RecoveredInstances {
  /** NBD exports by instance id (mounts) or `run:host:volume` (instant recovery) */
  private readonly exports = new Map<string, ExportHandle>();
  private readonly vms = new Map<number, RunningVm>();
  /** host ports of instances being started, not in the table yet */
  private readonly reserving = new Set<number>();
  /** instances being stopped: gone on purpose, not lost */
  private readonly stopping = new Set<number>();
  /** told of each instance `reap` found gone */
  onLost: (r: InstanceRow) => void = () => undefined;
  /** KVM's verdict on this machine, kept with the hub's data */
  private readonly kvm: KvmMemo;

  constructor(
    readonly store: InstanceStore,
    private readonly blocks: BlockStore,
    private readonly clock: Clock,
    private readonly dataDir: string,
  ) {
    this.kvm = new KvmMemo(path.join(dataDir, 'kvm-failed.json'));
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  view(r: InstanceRow): InstanceView {
    const running = r.state === 'running';
    return {
      id: r.id, kind: r.kind, host: r.host, runId: r.runId, target: r.target, state: r.state, pid: r.pid, accel: r.accel,
      network: r.network, ports: r.ports, bindAddress: r.ports.length === 0 ? null : bindAddressOf(r.kind), dir: r.dir, qmp: r.qmp, console: r.console, nbd: r.nbd, startedAt: r.startedAt,
      expiresAt: r.expiresAt, stoppedAt: r.stoppedAt,
      uptimeSeconds: running ? Math.max(0, Math.round((this.clock.now() - Date.parse(r.startedAt)) / 1000)) : null,
      bootMs: r.bootMs, lastLines: r.console ? tail(r.console, 5) : [], disk: r.disk,
    };
  }

  list(all = false): InstanceView[] {
    this.reap();
    return this.store.list(all).map((r) => this.view(r));
  }

  /**
   * Running instances whose qemu has gone (killed, crashed, powered off from inside) are marked
   * lost: their ports go back, their monitor socket is removed. The rows it marked.
   */
  reap(): InstanceRow[] {
    const gone = this.store.list().filter((r) => r.kind !== 'mount' && !this.stopping.has(r.id) && (r.pid === null || r.qmp === null || !isInstanceProcess(r.pid, r.qmp)));
    for (const r of gone) {
      this.store.setStopped(r.id, 'lost', this.iso());
      if (r.qmp) fs.rmSync(r.qmp, { force: true });
      if (r.pid !== null) this.vms.delete(r.pid);
      this.onLost(r);
    }
    return gone;
  }

  get(id: number): InstanceRow {
    const r = this.store.get(id);
    if (!r) throw new RecoveryError('not-found', `no instance ${id}`);
    return r;
  }

  ofRun(runId: number, host?: string): InstanceRow[] {
    return this.store.ofRun(runId).filter((r) => host === undefined || r.host === host);
  }

  /**
   * Forwards for the guest ports: configured host ports checked free, the others picked free.
   * Each port is reserved (`reserving`) before the first await, so two instances starting at
   * once never get the same one; the caller frees the reservations once its row holds them.
   */
  private async forwards(spec: VmSpecView, guestPorts: number[], bind: string): Promise<PortForwardView[]> {
    if (spec.network !== 'isolated' && spec.network !== 'user') return [];
    const wanted = [...spec.ports];
    for (const g of guestPorts) if (!wanted.some((w) => w.guest === g)) wanted.push({ host: null, guest: g });
    const out: PortForwardView[] = [];
    try {
      for (const w of wanted) {
        if (w.host !== null) {
          const held = this.heldBy(w.host);
          if (held) throw new RecoveryError('busy', held);
          this.reserving.add(w.host);
          out.push({ host: w.host, guest: w.guest });
          if (!(await portFree(w.host, bind))) throw new RecoveryError('busy', inUse(w.host, bind));
        } else {
          let p = await anyFreePort(bind);
          while (this.heldBy(p)) p = await anyFreePort(bind);
          this.reserving.add(p);
          out.push({ host: p, guest: w.guest });
        }
      }
    } catch (e) {
      this.unreserve(out);
      throw e;
    }
    return out;
  }

  /**
   * Why the target's fixed host ports cannot be forwarded now (taken by an instance or by
   * another process), checked before a run restores anything; null when they are free.
   */
  async portsProblem(spec: VmSpecView, kind: InstanceKind): Promise<string | null> {
    const bind = bindAddressOf(kind);
    for (const w of spec.ports) {
      if (w.host === null) continue;
      const held = this.heldBy(w.host);
      if (held) return held;
      if (!(await portFree(w.host, bind))) return inUse(w.host, bind);
    }
    return null;
  }

  /** Which instance, running or starting, holds a host port; null when none does. */
  private heldBy(port: number): string | null {
    const owner = this.store.list().find((r) => r.ports.some((p) => p.host === port));
    if (owner) return `port ${port} is already forwarded to instance ${owner.id} (${owner.host})`;
    if (this.reserving.has(port)) return `port ${port} is being forwarded to another instance that is starting`;
    return null;
  }

  private unreserve(ports: PortForwardView[]): void {
    for (const p of ports) this.reserving.delete(p.host);
  }

  /** Power a recovered host on from overlays over its images (or NBD exports). */
  async boot(req: BootRequest): Promise<{ row: InstanceRow; vm: RunningVm }> {
    requireQemu(req.spec.binary);
    const fw = firmwareFile(req.spec.firmware);
    for (const r of this.ofRun(req.runId, req.host)) if (r.state === 'running') await this.stopRow(r);
    const dir = path.join(req.dir, `vm-${req.host}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    // the overlays are made at once (one qemu-img each)
    const disks: VmDisk[] = req.disks.map((d) => ({ volume: d.volume, overlay: path.join(dir, `overlay-${d.volume}.qcow2`), base: d.base }));
    await Promise.all(disks.map((d, i) => createOverlay(d.overlay, req.disks[i]!.size)));
    const bind = bindAddressOf(req.kind);
    const forwards = await this.forwards(req.spec, req.guestPorts, bind);
    try {
      const qmp = socketPath(dir, 'qmp.sock');
      const consoleFile = path.join(dir, 'console.log');
      const vm = await startVm(req.spec.binary, {
        name: `drc-${req.host}-run${req.runId}`, spec: req.spec, disks, forwards, bindAddress: bind,
        console: consoleFile, qmp, pidFile: path.join(dir, 'qemu.pid'), firmwareFile: fw,
      }, path.join(dir, 'qemu.log'), this.kvm);
      this.vms.set(vm.pid, vm);
      // a failover instance's writes are tracked from its first moments: failback reads only them
      if (req.kind === 'failover') await startDirtyTracking(qmp, disks.map((d) => d.volume)).catch(() => undefined);
      const row = this.store.add({
        kind: req.kind, host: req.host, runId: req.runId, target: req.target, pid: vm.pid, accel: vm.accel, network: req.spec.network,
        ports: forwards, dir, qmp, console: consoleFile, nbd: null, startedAt: new Date(vm.poweredOnAt).toISOString(), poweredOnAt: vm.poweredOnAt,
        expiresAt: req.expiresAt, disk: req.disks.some((d) => d.base.kind === 'nbd') ? 'nbd' : 'local',
      });
      return { row, vm };
    } finally {
      this.unreserve(forwards);
    }
  }

  private async stopRow(r: InstanceRow, state: 'stopped' | 'lost' = 'stopped'): Promise<void> {
    this.stopping.add(r.id);
    try {
      if (r.kind === 'mount') {
        await this.closeExport(`mount:${r.id}`);
        fs.rmSync(r.dir, { recursive: true, force: true });
      } else {
        await stopVm(r.pid, r.qmp);
        if (r.qmp && !r.qmp.startsWith(r.dir)) fs.rmSync(r.qmp, { force: true });
      }
      this.store.setStopped(r.id, state, this.iso());
    } finally {
      this.stopping.delete(r.id);
    }
  }

  /** Stop an instance; a failover's needs its host name typed. */
  async stop(id: number, confirm: string | undefined): Promise<InstanceView> {
    const r = this.get(id);
    if (r.kind === 'failover' && r.state === 'running') {
      if (!confirm) throw new RecoveryError('confirm-required', `instance ${id} runs failed-over host ${r.host}; type the host name to stop it: --confirm ${r.host}`);
      if (confirm !== r.host) throw new RecoveryError('refused', `confirmation "${confirm}" does not match host ${r.host}; instance ${id} keeps running`);
    }
    if (r.state === 'running') await this.stopRow(r);
    return this.view(this.get(id));
  }

  /** Close the NBD exports an instant recovery of `host` in run `runId` opened (its VM stopped). */
  async closeRunExports(runId: number, host: string): Promise<void> {
    for (const [k, e] of [...this.exports]) if (k.startsWith(`run:${runId}:${host}:`)) await this.closeExport(k, e);
  }

  /** A drill's instances go with its artefacts. */
  async stopRun(runId: number): Promise<number[]> {
    const rows = this.ofRun(runId).filter((r) => r.state === 'running');
    for (const r of rows) await this.stopRow(r);
    for (const [k, e] of this.exports) if (k.startsWith(`run:${runId}:`)) await this.closeExport(k, e);
    return rows.map((r) => r.id);
  }

  /** After a restart: VMs whose process and monitor are still there are kept, the others are lost. */
  async reattach(): Promise<{ kept: InstanceRow[]; lost: InstanceRow[] }> {
    const kept: InstanceRow[] = [];
    const lost: InstanceRow[] = [];
    for (const r of this.store.list()) {
      const alive = r.kind !== 'mount' && r.pid !== null && r.qmp !== null && isInstanceProcess(r.pid, r.qmp) && fs.existsSync(r.qmp);
      if (alive) kept.push(r);
      else {
        this.store.setStopped(r.id, 'lost', this.iso());
        lost.push(r);
      }
    }
    return { kept, lost };
  }

  /** Drill VMs and every export stop with the hub; failover VMs keep running. */
  async stopForShutdown(): Promise<void> {
    for (const r of this.store.list()) if (r.kind !== 'failover') await this.stopRow(r);
    for (const [k, e] of [...this.exports]) await this.closeExport(k, e);
  }

  /** Drill VMs past their TTL. */
  async sweep(): Promise<number[]> {
    const now = this.clock.now();
    const due = this.store.list().filter((r) => r.kind === 'drill' && r.expiresAt !== null && Date.parse(r.expiresAt) <= now);
    for (const r of due) await this.stopRow(r);
    return due.map((r) => r.id);
  }

  console(id: number, offset?: number): { id: number; text: string; offset: number; state: InstanceView['state'] } {
    const r = this.get(id);
    if (!r.console) throw new RecoveryError('bad-request', `instance ${id} has no console`);
    let size = 0;
    try {
      size = fs.statSync(r.console).size;
    } catch {
      return { id, text: '', offset: 0, state: r.state };
    }
    const from = offset === undefined ? Math.max(0, size - 65536) : Math.min(offset, size);
    const len = Math.min(size - from, 1 << 20);
    const buf = Buffer.alloc(len);
    const fd = fs.openSync(r.console, 'r');
    fs.readSync(fd, buf, 0, len, from);
    fs.closeSync(fd);
    return { id, text: buf.toString('utf8'), offset: from + len, state: r.state };
  }

  // ---- NBD exports ------------------------------------------------------------------------
  async openExport(key: string, pointId: number, volume: string, socketDir: string, onDamage?: (d: NbdDamage) => void): Promise<ExportHandle> {
    const existing = this.exports.get(key);
    if (existing) return existing;
    fs.mkdirSync(socketDir, { recursive: true });
    const socket = socketPath(socketDir, `nbd-${volume}.sock`);
    const server = new NbdExportServer({ store: this.blocks, pointId, volume, socket, onDamage });
    await server.listen();
    const h = { socket, name: volume, server };
    this.exports.set(key, h);
    return h;
  }

  async closeExport(key: string, h = this.exports.get(key)): Promise<void> {
    if (!h) return;
    this.exports.delete(key);
    await h.server.close();
  }

  /** `drc mount`: a point exported on a local socket for file-level recovery. */
  async mount(host: string, volume: string, pointId: number): Promise<InstanceView> {
    // one export (one socket) per point: mounting it again answers the mount already there
    const same = this.mounts().find((r) => r.host === host && r.target === `${volume}@${pointId}`);
    if (same) return this.view(same);
    const dir = path.join(this.dataDir, 'mounts', `${host}-${volume}-${pointId}`);
    const row = this.store.add({
      kind: 'mount', host, runId: null, target: `${volume}@${pointId}`, pid: process.pid, accel: null, network: 'none', ports: [],
      dir, qmp: null, console: null, nbd: null, startedAt: this.iso(), poweredOnAt: null, expiresAt: null, disk: 'nbd',
    });
    try {
      const h = await this.openExport(`mount:${row.id}`, pointId, volume, dir);
      this.store.setNbd(row.id, h.socket);
    } catch (e) {
      this.store.setStopped(row.id, 'lost', this.iso());
      throw e;
    }
    return this.view(this.get(row.id));
  }

  mounts(): InstanceRow[] {
    return this.store.list().filter((r) => r.kind === 'mount');
  }

  async unmount(o: { id?: number; host?: string }): Promise<InstanceView[]> {
    const rows = this.mounts().filter((r) => (o.id === undefined || r.id === o.id) && (o.host === undefined || r.host === o.host));
    if (rows.length === 0) throw new RecoveryError('not-found', o.id !== undefined ? `no mount ${o.id}` : `no mount of ${o.host ?? 'any host'}`);
    for (const r of rows) await this.stopRow(r);
    return rows.map((r) => this.view(this.get(r.id)));
  }
}
