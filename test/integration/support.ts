// Shared plumbing of the integration tests: one hub + one agent in a temp directory,
// catalog inspection (read-only), pack files on disk, restores, a free TCP port.
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { JobView, PointView } from '../../src/protocol/operator.js';
import { AgentProc, HubProc, sha256File, tempDir, waitConnected, waitFor } from '../helpers/cluster.js';

export type { JobView, PointView };

/** A TCP port that was free a moment ago (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A hub whose agents' endpoint stays on one port across restarts, so agents reconnect by themselves. */
export class PinnedHubProc extends HubProc {
  constructor(
    dataDir: string,
    readonly agentsPort: number,
    extra: string[] = [],
  ) {
    super(dataDir, extra, { agents: `127.0.0.1:${agentsPort}`, http: 'off' });
  }
}

/** Everything one test file started; `stop()` ends processes and removes the directory, even after a failure. */
export class Cluster {
  readonly dir = tempDir('drc-it-');
  readonly hubs: HubProc[] = [];
  readonly agents: AgentProc[] = [];

  get hubData(): string {
    return path.join(this.dir, 'hub');
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async startHub(hub: HubProc = new HubProc(this.hubData)): Promise<HubProc> {
    this.hubs.push(hub);
    return hub.start();
  }

  /** Start an agent for `host` protecting `volumes` and wait until the hub lists it connected. */
  async startAgent(hub: HubProc, host: string, token: string, volumes: Record<string, string>, extra: string[] = []): Promise<AgentProc> {
    const a = new AgentProc(hub.agentsUrl, host, token, volumes, path.join(this.dir, `agent-${host}`), ['--watch', '0', ...extra]);
    this.agents.push(a);
    a.start();
    await waitConnected(hub, host).catch((e: Error) => {
      throw new Error(`${e.message}; agent log: ${a.log.slice(-500)}`);
    });
    return a;
  }

  /**
   * Stop hubs first (SIGTERM, with their agents still connected: a hub must exit 0 then),
   * then agents; remove the directory; fail when a hub did not exit cleanly.
   */
  async stop(): Promise<void> {
    const unclean: string[] = [];
    try {
      await Promise.all(
        this.hubs.map(async (h) => {
          if (!h.proc || h.proc.exitCode !== null || h.proc.signalCode !== null) return;
          const exited = await Promise.race([h.stop().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
          if (!exited) {
            await h.kill9();
            unclean.push(`hub ${h.dataDir} did not exit within 10 s of SIGTERM: ${h.log.slice(-600)}`);
          } else if (h.proc.exitCode !== 0) {
            unclean.push(`hub ${h.dataDir} exited ${h.proc.exitCode} on SIGTERM: ${h.log.slice(-600)}`);
          }
        }),
      );
    } finally {
      await Promise.all(this.agents.map((a) => (a.proc ? a.stop('SIGKILL') : undefined)));
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
    if (unclean.length) throw new Error(unclean.join('\n'));
  }
}

export async function backup(hub: HubProc, host: string, full = false): Promise<JobView> {
  const r = await hub.run(['backup', host, '--wait', '--json', ...(full ? ['--full'] : [])]);
  const out = r.stdout.trim();
  if (!out.startsWith('{')) throw new Error(`backup ${host}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(out) as JobView;
}

export async function backupOk(hub: HubProc, host: string, full = false): Promise<JobView> {
  const j = await backup(hub, host, full);
  if (j.state !== 'succeeded') throw new Error(`backup job ${j.id} of ${host} ${j.state}: ${j.error}`);
  return j;
}

export function points(hub: HubProc, host: string): Promise<PointView[]> {
  return hub.json<PointView[]>(['points', host]);
}

export function restore(hub: HubProc, host: string, volume: string, point: string | number, to: string) {
  return hub.run(['restore', host, '--volume', volume, '--point', String(point), '--to', to]);
}

/** Restore and return the image's sha256; throws with the CLI's stderr when it fails. */
export async function restoredSha(hub: HubProc, host: string, volume: string, point: string | number, to: string): Promise<string> {
  const r = await restore(hub, host, volume, point, to);
  if (r.code !== 0) throw new Error(`restore ${host}/${volume} point ${point} failed (${r.code}): ${r.stderr}`);
  const sha = sha256File(to);
  fs.rmSync(to, { force: true });
  return sha;
}

export function packDir(dataDir: string): string {
  return path.join(dataDir, 'store', 'packs');
}

/** Pack names present on disk (without the .pack suffix). */
export function packFilesOnDisk(dataDir: string): string[] {
  const dir = packDir(dataDir);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pack'))
    .map((f) => f.slice(0, -'.pack'.length))
    .sort();
}

export function packBytesOnDisk(dataDir: string): number {
  return packFilesOnDisk(dataDir).reduce((a, p) => a + fs.statSync(path.join(packDir(dataDir), `${p}.pack`)).size, 0);
}

/** Run `fn` against the hub's catalog opened read-only (safe while the hub runs: WAL). */
export function withCatalog<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, 'catalog.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** A recovery run's steps as the catalog holds them, in order. */
export interface StepRow {
  kind: string;
  state: string;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
}

export function runSteps(dataDir: string, runId: number): StepRow[] {
  return withCatalog(dataDir, (db) => db.prepare('SELECT kind, state, attempts, started_at, finished_at FROM recovery_steps WHERE run_id = ? ORDER BY idx').all(runId)) as StepRow[];
}

/** The newest recovery run of a kind (drill, failover, failback). */
export function lastRun(dataDir: string, kind: string): { id: number; state: string } | undefined {
  return withCatalog(dataDir, (db) => db.prepare('SELECT id, state FROM recovery_runs WHERE kind = ? ORDER BY id DESC LIMIT 1').get(kind)) as { id: number; state: string } | undefined;
}

/** A chunk as the catalog records it: where its stored bytes lie in which pack. */
export interface StoredChunk {
  hash: Buffer;
  pack: string;
  offset: number;
  length: number;
  codec: number;
}

/** The n-th chunk stored with `codec` (0 raw, 1 zstd), in pack order. */
export function storedChunk(dataDir: string, codec: number, n: number): StoredChunk {
  return withCatalog(dataDir, (db) =>
    db
      .prepare('SELECT c.hash AS hash, p.name AS pack, c.offset AS offset, c.length AS length, c.codec AS codec FROM chunks c JOIN packs p ON p.id = c.pack_id WHERE c.codec = ? ORDER BY c.offset LIMIT 1 OFFSET ?')
      .get(codec, n) as StoredChunk,
  );
}

/** Flip one byte in the middle of the chunk's stored bytes; returns a function that puts it back. */
export function flipPackByte(dataDir: string, ch: StoredChunk): () => void {
  const file = path.join(packDir(dataDir), `${ch.pack}.pack`);
  const at = ch.offset + Math.floor(ch.length / 2);
  const b = Buffer.alloc(1);
  const fd = fs.openSync(file, 'r+');
  try {
    fs.readSync(fd, b, 0, 1, at);
    fs.writeSync(fd, Buffer.from([b[0]! ^ 0xff]), 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
  return () => {
    const fd2 = fs.openSync(file, 'r+');
    fs.writeSync(fd2, b, 0, 1, at);
    fs.closeSync(fd2);
  };
}

/** Move the hub's clock (a hub started with DRC_TEST_CLOCK_FILE=file) to `ms` since the epoch. */
export function setHubClock(file: string, ms: number): void {
  fs.writeFileSync(file, String(ms - Date.now()));
}

export interface StoreConsistency {
  onDisk: string[];
  registered: string[];
  /** chunks whose pack row or pack file is missing, or that lie beyond their pack's end */
  danglingChunks: number;
  chunks: number;
}

/** Compare the packs table with the files in the pack directory, and every chunk with its pack. */
export function storeConsistency(dataDir: string): StoreConsistency {
  const onDisk = packFilesOnDisk(dataDir);
  return withCatalog(dataDir, (db) => {
    const registered = (db.prepare('SELECT name FROM packs ORDER BY name').all() as { name: string }[]).map((r) => r.name);
    const rows = db
      .prepare('SELECT p.name AS name, c.offset AS offset, c.length AS length FROM chunks c LEFT JOIN packs p ON p.id = c.pack_id')
      .all() as { name: string | null; offset: number; length: number }[];
    const sizes = new Map(onDisk.map((p) => [p, fs.statSync(path.join(packDir(dataDir), `${p}.pack`)).size]));
    const dangling = rows.filter((r) => r.name === null || !sizes.has(r.name) || r.offset + r.length > sizes.get(r.name)!).length;
    return { onDisk, registered: [...registered].sort(), danglingChunks: dangling, chunks: rows.length };
  });
}

export function jobRow(dataDir: string, id: number): { state: string; error: string | null } {
  return withCatalog(dataDir, (db) => db.prepare('SELECT state, error FROM jobs WHERE id = ?').get(id) as { state: string; error: string | null });
}

/** Fill a file with `mib` MiB of random bytes (fast: one 1 MiB buffer per write). */
export function randomImage(file: string, mib: number): void {
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (let i = 0; i < mib; i++) {
      fs.writeSync(fd, randomFillSync(buf));
    }
  } finally {
    fs.closeSync(fd);
  }
}

export { sha256File, waitFor };
