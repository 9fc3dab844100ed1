import path from 'node:path';
import { fileLogger } from '../../../agent/log.js';
import { loadConfig, parseHostPort, type DrcConfig } from '../../config/index.js';
import { Hub, type HubOptions } from '../../hub/hub.js';
import { makePrivateDir } from '../../hub/privacy.js';
import { gcCrashFromEnv, stepCrashFromEnv, testClockFromEnv } from '../../hub/test-hooks.js';
import { parseCron } from '../../scheduler/cron.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { followLauncher } from '../launcher.js';
import { readGiven, resolveContext } from '../context.js';
import { UsageError } from '../errors.js';


function hostPort(flag: string, s: string) {
  try {
    return parseHostPort(s);
  } catch (e) {
    throw new UsageError(`serve: --${flag}: ${(e as Error).message}`);
  }
}

function checkCrons(c: DrcConfig): void {
  for (const s of c.schedules) {
    try {
      parseCron(s.cron, s.timezone);
    } catch (e) {
      throw new UsageError(`serve: schedule ${s.name}: ${(e as Error).message}`);
    }
  }
}

export async function serve(argv: string[]): Promise<number> {
  const a = parseArgs('serve', argv, FLAGS.serve);
  const ctx = resolveContext(a);
  const c = ctx.config;
  const la = value(a, 'listen-agents');
  const lh = value(a, 'listen-http');
  checkCrons(c);
  // a missing or unreadable certificate is a one-line config error, not a stack trace at start
  if (c.hub.tls) for (const [k, f] of Object.entries(c.hub.tls)) readGiven(`serve: hub.tls.${k}`, f);
  makePrivateDir(ctx.dataDir);
  const toFile = fileLogger(ctx.dataDir, 'hub');
  // a full data directory loses log lines, never the hub
  const log: typeof toFile = (...args) => {
    try {
      toFile(...args);
    } catch {
      /* ENOSPC: nothing to write it to */
    }
  };
  // the hub's options from a config: at start, and again at each reload (drc config reload, SIGHUP)
  const optionsOf = (c: DrcConfig, dataDir: string): HubOptions => ({
      dataDir,
      name: c.hub.name,
      agents: la ? hostPort('listen-agents', la) : c.hub.listen.agents,
      http: lh === 'off' ? null : lh ? hostPort('listen-http', lh) : c.hub.listen.http,
      apiTcp: c.hub.listen.apiTcp ? { ...c.hub.listen.apiTcp, token: c.hub.apiToken ?? undefined } : null,
      tls: c.hub.tls ?? undefined,
      socketRole: c.hub.socketRole === 'none' ? null : c.hub.socketRole,
      heartbeatTimeoutMs: c.hub.heartbeatTimeout * 1000,
      tiers: c.tiers.map((t) => ({ name: t.name, rpoSeconds: t.rpo, rtoSeconds: t.rto })),
      hosts: c.hosts.map((h) => ({ name: h.name, tags: h.tags, tier: h.tier, continuous: h.continuous })),
      concurrency: value(a, 'concurrency') ? Number(value(a, 'concurrency')) : undefined,
      log,
      alarms: c.alarms,
      channels: c.channels,
      schedules: c.schedules,
      retention: c.retention,
      now: testClockFromEnv(),
      afterGcRepackCommit: gcCrashFromEnv(),
      recovery: { targets: c.targets, checks: c.checks, plans: c.plans, drillTtlSeconds: c.recovery.drillTtl, switchHook: c.recovery.switch, onStepStarted: stepCrashFromEnv() },
      store: c.store,
      copies: c.copies,
      inspection: c.inspection ?? null,
      maintenance: c.maintenance,
  });
  const file = ctx.config.source;
  const reload = file
    ? () => {
        const next = loadConfig(file);
        checkCrons(next);
        return { file, options: optionsOf(next, path.resolve(value(a, 'data') ?? next.hub.data ?? ctx.dataDir)) };
      }
    : undefined;
  let hub: Hub;
  try {
    hub = new Hub({ ...optionsOf(c, ctx.dataDir), reload });
  } catch (e) {
    // the certificate and key are read here: a file that is not PEM says so in one line
    const msg = (e as Error).message;
    if (c.hub.tls && /PEM|certificate|key|asn1|decoder/i.test(msg)) throw new UsageError(`serve: hub.tls: cannot use ${c.hub.tls.cert} and ${c.hub.tls.key}: ${msg}`);
    throw e;
  }
  // SIGHUP (systemctl reload) re-reads the config file, from the moment the hub exists;
  // a bad file leaves the running config
  const onHangup = (): void => {
    try {
      const r = hub.config.reload('signal:SIGHUP');
      process.stderr.write(`drc serve: config ${r.file} reloaded: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'nothing to apply'}${r.restartNeeded.length ? `; restart needed for ${r.restartNeeded.join(', ')}` : ''}\n`);
    } catch (e) {
      process.stderr.write(`drc serve: config reload refused: ${(e as Error).message}\n`);
    }
  };
  process.on('SIGHUP', onHangup);
  try {
    await hub.start();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? `address in use (${err.message.replace(/^.*EADDRINUSE: address already in use /, '')}); is another hub running?` : err.message;
    process.stderr.write(`drc serve: cannot start: ${why}\n`);
    process.off('SIGHUP', onHangup);
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
  process.off('SIGHUP', onHangup);
  await hub.stop();
  return 0;
}
