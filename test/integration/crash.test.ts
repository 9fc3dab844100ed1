// Crashes in the middle of a big full backup: an agent or the hub killed with SIGKILL, and
// an agent stopped while its offers are in flight.
// Nothing half-done may become visible: no point, no pack outside the catalog, and the
// next backup after recovery restores byte-identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { HubProc, type AgentProc } from '../helpers/cluster.js';
import {
  Cluster,
  PinnedHubProc,
  backup,
  backupOk,
  freePort,
  jobRow,
  packFilesOnDisk,
  points,
  randomImage,
  restoredSha,
  sha256File,
  storeConsistency,
  waitFor,
  type JobView,
} from './support.js';

// large enough that the transfer is still running when the first pack file shows up
const IMAGE_MIB = 256;

const c = new Cluster();
let image: string;
let imageSha: string;

beforeAll(() => {
  image = c.file('big.img');
  randomImage(image, IMAGE_MIB);
  imageSha = sha256File(image);
});

afterAll(() => c.stop());

/** Queue a backup and return once its first pack file exists (the transfer is under way). */
async function startBackupAndWaitForPack(hub: HubProc, host: string): Promise<JobView> {
  const job = await hub.json<JobView>(['backup', host]);
  await waitFor(`a pack file of job ${job.id}`, () => packFilesOnDisk(hub.dataDir).length > 0, 30_000);
  return job;
}

/** Wait for the host-disconnected alarm of a host; the milliseconds since `t0` it took. */
async function disconnectedAlarmAfter(hub: HubProc, host: string, t0: number): Promise<number> {
  await waitFor(`the host-disconnected alarm of ${host}`, async () => {
    const list = await hub.json<{ rule: string; host: string | null }[]>(['alarms']);
    return list.some((a) => a.rule === 'host-disconnected' && a.host === host);
  }, 20_000);
  return Date.now() - t0;
}

describe('an agent killed mid-transfer', () => {
  let hub: HubProc;
  let token: string;
  let job: JobView;
  let killedAt = 0;

  beforeAll(async () => {
    hub = await c.startHub(new HubProc(c.file('hub-a')));
    token = await hub.addHost('a1');
    const agent = await c.startAgent(hub, 'a1', token, { disk: image });
    job = await startBackupAndWaitForPack(hub, 'a1');
    killedAt = Date.now();
    await agent.stop('SIGKILL');
  });

  it('raises the host-disconnected alarm within 15 s', async () => {
    expect(await disconnectedAlarmAfter(hub, 'a1', killedAt)).toBeLessThan(15_000);
  });

  it('fails the job and commits no recovery point', async () => {
    const row = await waitFor(`job ${job.id} to end`, () => {
      const r = jobRow(hub.dataDir, job.id);
      return r.state !== 'running' && r.state !== 'queued' && r;
    });
    expect(row.state).toBe('failed');
    expect(row.error).toMatch(/agent disconnected/);
    expect(await points(hub, 'a1')).toEqual([]);
  });

  it('leaves no pack file behind and none registered in the catalog', () => {
    const s = storeConsistency(hub.dataDir);
    expect(s.onDisk).toEqual([]);
    expect(s.registered).toEqual([]);
    expect(s.chunks).toBe(0);
  });

  it('backs up and restores byte-identical once the agent is restarted', async () => {
    await c.startAgent(hub, 'a1', token, { disk: image });
    const next = await backupOk(hub, 'a1');
    expect(next.pointIds).toHaveLength(1);
    expect(await restoredSha(hub, 'a1', 'disk', 'latest', c.file('a1-restored.img'))).toBe(imageSha);
    const s = storeConsistency(hub.dataDir);
    expect(s.onDisk).toEqual(s.registered);
    expect(s.danglingChunks).toBe(0);
  });
});

describe('an agent frozen (SIGSTOP) mid-transfer', () => {
  let hub: HubProc;
  let agent: AgentProc;
  let job: JobView;
  let frozenAt = 0;

  beforeAll(async () => {
    hub = await c.startHub(new HubProc(c.file('hub-c')));
    const token = await hub.addHost('c1');
    agent = await c.startAgent(hub, 'c1', token, { disk: image });
    job = await startBackupAndWaitForPack(hub, 'c1');
    frozenAt = Date.now();
    agent.proc.kill('SIGSTOP');
  });

  afterAll(() => {
    agent.proc.kill('SIGCONT');
  });

  it('raises the host-disconnected alarm within 15 s', async () => {
    expect(await disconnectedAlarmAfter(hub, 'c1', frozenAt)).toBeLessThan(15_000);
  });

  it('fails the job, commits no point and leaves no pack outside the catalog', async () => {
    const row = await waitFor(`job ${job.id} to end`, () => {
      const r = jobRow(hub.dataDir, job.id);
      return r.state !== 'running' && r.state !== 'queued' && r;
    });
    expect(row.state).toBe('failed');
    expect(await points(hub, 'c1')).toEqual([]);
    const s = storeConsistency(hub.dataDir);
    expect(s.onDisk).toEqual(s.registered);
    expect(s.chunks).toBe(0);
  });
});

describe('an agent stopped mid-transfer in-process (as the demo stops its agents)', () => {
  it('stops without an unhandled rejection, fails the job and commits no point', async () => {
    const hub = await c.startHub(new HubProc(c.file('hub-t')));
    const token = await hub.addHost('t1');
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const agent = new Agent({
      hub: hub.agentsUrl, host: 't1', token, dataDir: c.file('agent-t1'),
      volumes: [{ name: 'disk', path: image, blockSize: 65536, tracker: 'scan' }],
      log: () => undefined,
    });
    try {
      agent.start();
      await waitFor('t1 connected', async () => (await hub.json<{ name: string; link: string }[]>(['hosts'])).some((h) => h.name === 't1' && h.link === 'connected'));
      const job = await hub.json<JobView>(['backup', 't1']);
      await waitFor(`job ${job.id} running`, () => jobRow(hub.dataDir, job.id).state === 'running');
      // the hub frozen as the agent starts: its window of offers goes out after the scan
      // and no answer comes back
      process.kill(hub.proc.pid!, 'SIGSTOP');
      try {
        await new Promise((r) => setTimeout(r, 1500));
        await agent.stop();
      } finally {
        process.kill(hub.proc.pid!, 'SIGCONT');
      }
      // rejections are reported after the microtasks of the stop have run
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled.map(String)).toEqual([]);
      const row = await waitFor(`job ${job.id} to end`, () => {
        const r = jobRow(hub.dataDir, job.id);
        return r.state !== 'running' && r.state !== 'queued' && r;
      });
      expect(row.state).toBe('failed');
      expect(await points(hub, 't1')).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await agent.stop();
    }
  });
});

describe('the hub killed mid-transfer and restarted on the same data directory', () => {
  let hub: PinnedHubProc;
  let job: JobView;
  let orphans: string[];

  beforeAll(async () => {
    hub = new PinnedHubProc(c.file('hub-b'), await freePort());
    await c.startHub(hub);
    const token = await hub.addHost('b1');
    await c.startAgent(hub, 'b1', token, { disk: image });
    job = await startBackupAndWaitForPack(hub, 'b1');
    await hub.kill9();
    orphans = packFilesOnDisk(hub.dataDir);
    await hub.start();
  });

  it('was killed with uncommitted pack files on disk', () => {
    expect(orphans.length).toBeGreaterThan(0);
  });

  it('removes every pack file the catalog does not know and keeps every chunk in an existing pack', () => {
    const s = storeConsistency(hub.dataDir);
    expect(s.onDisk).toEqual(s.registered);
    expect(s.danglingChunks).toBe(0);
    for (const o of orphans) expect(s.onDisk).not.toContain(o);
  });

  it('shows the interrupted job as failed and commits no partial point', async () => {
    expect(jobRow(hub.dataDir, job.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/hub restarted/) });
    expect(await points(hub, 'b1')).toEqual([]);
  });

  it('raises the backup-failed alarm for the job the crash interrupted', async () => {
    const list = await hub.json<{ rule: string; host: string | null }[]>(['alarms']);
    expect(list.some((a) => a.rule === 'backup-failed' && a.host === 'b1')).toBe(true);
  });

  it('is rejoined by the agent on its own, and the next backup restores byte-identical', async () => {
    await waitFor('b1 to reconnect', async () => {
      const hosts = await hub.json<{ name: string; link: string }[]>(['hosts']);
      return hosts.some((h) => h.name === 'b1' && h.link === 'connected');
    }, 30_000);
    const next = await backup(hub, 'b1');
    expect(next.state, next.error ?? '').toBe('succeeded');
    expect(await restoredSha(hub, 'b1', 'disk', 'latest', c.file('b1-restored.img'))).toBe(imageSha);
    const s = storeConsistency(hub.dataDir);
    expect(s.registered.length).toBeGreaterThan(0);
    expect(s.onDisk).toEqual(s.registered);
    expect(s.danglingChunks).toBe(0);
  });
});
