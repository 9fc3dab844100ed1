import path from 'node:path';
import { fileLogger } from '../../../agent/log.js';
import { parseHostPort } from '../../config/index.js';
import { Hub } from '../../hub/hub.js';
import { makePrivateDir } from '../../hub/privacy.js';
import { gcCrashFromEnv, testClockFromEnv } from '../../hub/test-hooks.js';
import { parseCron } from '../../scheduler/cron.js';
import { parseArgs, value } from '../args.js';
import { followLauncher } from '../launcher.js';
import { resolveContext } from '../context.js';
import { UsageError } from '../errors.js';


function hostPort(flag: string, s: string) {
  try {
    return parseHostPort(s);
  } catch (e) {
    throw new UsageError(`serve: --${flag}: ${(e as Error).message}`);
  }
}

export async function serve(argv: string[]): Promise<number> {
  const a = parseArgs('serve', argv, { values: ['listen-agents', 'listen-http', 'concurrency'] });
  const ctx = resolveContext(a);
  const c = ctx.config;
  const la = value(a, 'listen-agents');
  const lh = value(a, 'listen-http');
  for (const s of c.schedules) {
    try {
      parseCron(s.cron, s.timezone);
    } catch (e) {
      throw new UsageError(`serve: schedule ${s.name}: ${(e as Error).message}`);
    }
  }
  makePrivateDir(ctx.dataDir);
  const log = fileLogger(ctx.dataDir, 'hub');
  const hub = new Hub({
    dataDir: ctx.dataDir,
    name: c.hub.name,
    agents: la ? hostPort('listen-agents', la) : c.hub.listen.agents,
    http: lh === 'off' ? null : lh ? hostPort('listen-http', lh) : c.hub.listen.http,
    apiTcp: c.hub.listen.apiTcp && c.hub.apiToken ? { ...c.hub.listen.apiTcp, token: c.hub.apiToken } : null,
    tls: c.hub.tls ?? undefined,
    tiers: c.tiers.map((t) => ({ name: t.name, rpoSeconds: t.rpo, rtoSeconds: t.rto })),
    hosts: c.hosts.map((h) => ({ name: h.name, tags: h.tags, tier: h.tier })),
    concurrency: value(a, 'concurrency') ? Number(value(a, 'concurrency')) : undefined,
    log,
    alarms: c.alarms,
    channels: c.channels,
    schedules: c.schedules,
    retention: c.retention,
    now: testClockFromEnv(),
    afterGcRepackCommit: gcCrashFromEnv(),
    recovery: { targets: c.targets, checks: c.checks, plans: c.plans, drillTtlSeconds: c.recovery.drillTtl, switchHook: c.recovery.switch },
  });
  try {
    await hub.start();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? `address in use (${err.message.replace(/^.*EADDRINUSE: address already in use /, '')}); is another hub running?` : err.message;
    process.stderr.write(`drc serve: cannot start: ${why}\n`);
    return 1;
  }
  process.stderr.write(`drc hub ${c.hub.name}: agents ${hub.agentsUrl}, operators ${path.join(ctx.dataDir, 'api.sock')}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    followLauncher((pid) => {
      process.stderr.write(`drc serve: launcher process ${pid} is gone; stopping\n`);
      stop();
    });
  });
  await hub.stop();
  return 0;
}
