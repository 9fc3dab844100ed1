import fs from 'node:fs';
import path from 'node:path';
import { Agent } from '../../../agent/agent.js';
import { fileLogger } from '../../../agent/log.js';
import { storageDaemonAvailable } from '../../../agent/trackers/qemu-daemon.js';
import type { VolumeSpec } from '../../../agent/uploader.js';
import { DEFAULT_BLOCK_SIZE, parseSize } from '../../config/index.js';
import { TRACKERS, type TrackerKind } from '../../config/types.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { followLauncher } from '../launcher.js';
import { readGiven, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';


export async function agent(argv: string[]): Promise<number> {
  const a = parseArgs('agent', argv, FLAGS.agent);
  const ctx = resolveContext(a);
  const ac = ctx.config.agent;
  const hub = value(a, 'hub') ?? ac?.hub ?? 'ws://127.0.0.1:7701';
  const host = value(a, 'host') ?? ac?.host;
  if (!host) throw new UsageError('agent: --host is required (or agent.host in the config)');
  const tokenFile = value(a, 'token-file') ?? ac?.tokenFile ?? null;
  // --token shows in ps: --token-file, agent.token_file or DRC_TOKEN are the ways to prefer
  const token =
    value(a, 'token') ?? ac?.token ?? (tokenFile ? readGiven('agent: token file', tokenFile).toString('utf8').trim() : (process.env.DRC_TOKEN ?? process.env.DRC_AGENT_TOKEN));
  if (!token) throw new UsageError('agent: no token: give --token-file FILE (or agent.token_file in the config, or DRC_TOKEN)');
  const ca = value(a, 'ca') ?? ac?.ca ?? undefined;
  if (ca !== undefined) readGiven('agent: CA file', ca);
  let blockSize = DEFAULT_BLOCK_SIZE;
  const bs = value(a, 'block-size');
  if (bs) {
    try {
      blockSize = parseSize(bs);
    } catch (e) {
      throw new UsageError(`agent: --block-size: ${(e as Error).message}`);
    }
  }
  const cliVolumes = a.values.get('volume') ?? [];
  const tracker = (value(a, 'tracker') ?? 'scan') as TrackerKind;
  if (!TRACKERS.includes(tracker)) throw new UsageError(`agent: --tracker ${tracker}: expected one of ${TRACKERS.join(', ')}`);
  const qmp = value(a, 'qmp') ?? null;
  const nbd = value(a, 'nbd') ?? null;
  if ((qmp || nbd) && tracker !== 'qemu-dirty-bitmap') throw new UsageError('agent: --qmp and --nbd apply only with --tracker qemu-dirty-bitmap');
  if ((qmp || nbd) && cliVolumes.length !== 1) throw new UsageError('agent: --qmp and --nbd describe one volume: give exactly one --volume');
  const volumes: VolumeSpec[] = cliVolumes.map((spec) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62})=(.+)$/.exec(spec);
    if (!m) throw new UsageError(`agent: --volume ${spec}: expected NAME=PATH`);
    return { name: m[1]!, path: path.resolve(m[2]!), blockSize, tracker, qmp: qmp && path.resolve(qmp), nbd };
  });
  for (const v of ac?.volumes ?? []) {
    if (!volumes.some((x) => x.name === v.name)) volumes.push({ name: v.name, path: v.path, blockSize: v.blockSize, tracker: v.tracker, qmp: v.qmp, nbd: v.nbd });
  }
  if (volumes.length === 0) throw new UsageError('agent: no volumes to protect (give --volume NAME=PATH or agent.volumes in the config)');
  for (const v of volumes) {
    if (!fs.existsSync(v.path)) throw new UsageError(`agent: volume ${v.name}: ${v.path} does not exist`);
    if (v.tracker !== 'qemu-dirty-bitmap') continue;
    if (!v.qmp !== !v.nbd) throw new UsageError(`agent: volume ${v.name}: qmp and nbd go together (or neither, and the agent runs qemu-storage-daemon itself)`);
    if (!v.qmp && !storageDaemonAvailable()) throw new UsageError(`agent: volume ${v.name}: tracker qemu-dirty-bitmap needs qemu-storage-daemon on PATH (or qmp and nbd of a running one)`);
  }
  const dataDir = path.resolve(value(a, 'data') ?? ac?.data ?? path.join(ctx.dataDir, 'agent', host));
  const watch = value(a, 'watch');
  const metrics = value(a, 'metrics');
  if (metrics !== undefined && !(Number(metrics) >= 0)) throw new UsageError(`agent: --metrics ${metrics}: expected seconds (0 = off)`);
  const site = value(a, 'site') ?? 'primary';
  if (site !== 'primary' && site !== 'dr') throw new UsageError(`agent: --site ${site}: expected primary or dr`);
  const ag = new Agent({
    site,
    hub,
    host,
    token,
    dataDir,
    volumes,
    heartbeatMs: (ac?.heartbeat ?? 5) * 1000,
    watchMs: watch !== undefined ? Number(watch) * 1000 : (ac?.watch ?? 5) * 1000,
    ca,
    log: fileLogger(dataDir, 'agent'),
    logFile: path.join(dataDir, 'agent.log'),
    metricsMs: metrics !== undefined ? Number(metrics) * 1000 : undefined,
    preFreeze: value(a, 'pre-freeze') ?? null,
    postThaw: value(a, 'post-thaw') ?? null,
  });
  ag.start();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    followLauncher((pid) => {
      // killed along with its launcher: the hub sees a lost link, as for a killed agent
      process.stderr.write(`drc agent: launcher process ${pid} is gone; exiting\n`);
      process.exit(137);
    });
  });
  await ag.stop();
  return 0;
}
