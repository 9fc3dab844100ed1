// What each runbook step does. Every handler is safe to run again after a crash: restores
// write to a temporary name and rename, fencing and marking are idempotent, hooks are the
// operator's to make idempotent (documented).
import { stallWatch } from './stall-watch.js';
import fs from 'node:fs';
import type { StepProgressView } from '../protocol/recovery.js';
import { restoreVolume, type ImageFormat } from '../store/restore.js';
import { checksFor, runCheck, type CheckSubject } from './checks.js';
import { formatBytes, formatRate } from '../format/human.js';
import type { StepContext, StepRunner } from './executor.js';
import { postWebhook, runCommand } from './hooks.js';
import type { RecoveryHost, RecoveryOptions } from './host.js';
import { autoVerdict, failoverGates, gatesReady } from './objectives.js';
import type { StepOutcome } from './runbook.js';
import type { RunMeta, RunScopeHost, RunStore } from './run-store.js';
import { deliverImages, freeBytes, imageEnv } from './targets.js';
import { attachLocal, checkInstance, runningInstance, startHost, type VmStepDeps } from './vm-steps.js';
import { pidAlive } from './qemu/vm.js';
import { runHosts, runObjectives } from './views.js';
import { failbackStep, finalSyncStep } from './way-back-steps.js';

export interface StepDeps {
  host: RecoveryHost;
  opts: RecoveryOptions;
  runs: RunStore;
  onProgress: (runId: number, stepIndex: number, p: StepProgressView) => void;
  /** qemu targets; absent in runs that never boot anything */
  vm?: VmStepDeps;
}

const secs = (s: number | null) => (s === null ? '-' : `${s} s`);

function scopeHost(meta: RunMeta, host: string | null): RunScopeHost {
  const h = meta.hosts.find((x) => x.host === host);
  if (!h) throw new Error(`host ${host} is not in this run`);
  return h;
}

function envOf(ctx: StepContext, meta: RunMeta, h: RunScopeHost): Record<string, string> {
  return imageEnv({ runId: ctx.run.id, kind: ctx.run.kind, host: h.host, format: meta.target.format, images: h.points.map((p) => ({ volume: p.volume, path: p.image })) });
}

/** Gates of a failover of `h` evaluated now. */
export function gatesNow(d: StepDeps, h: RunScopeHost, dir: string, failedOver: boolean, finalSync?: boolean) {
  const times = h.points.map((p) => Date.parse(p.time));
  return failoverGates({
    now: d.host.clock.now(),
    rpoSeconds: h.rpoSeconds,
    pointTime: times.length ? Math.min(...times) : null,
    missingVolumes: [],
    allVerified: h.points.every((p) => p.verified),
    freeBytes: freeBytes(dir),
    neededBytes: h.points.reduce((a, p) => a + p.size, 0),
    targetDir: dir,
    link: d.host.link(h.host),
    failedOver,
    finalSync,
  });
}

/** A qemu target's fixed host ports, checked before anything is restored: a taken one fails the run at once. */
async function portsBlocked(d: StepDeps, meta: RunMeta, kind: 'drill' | 'failover'): Promise<string | null> {
  return d.vm && meta.target.vm ? d.vm.instances.portsProblem(meta.target.vm, kind) : null;
}

async function prepare(d: StepDeps, meta: RunMeta): Promise<StepOutcome> {
  fs.mkdirSync(meta.target.dir, { recursive: true });
  const needed = meta.hosts.flatMap((h) => h.points).reduce((a, p) => a + p.size, 0);
  const free = freeBytes(meta.target.dir);
  const detail = `${meta.target.dir}: ${free === null ? '?' : formatBytes(free)} free, ${formatBytes(needed)} needed`;
  if (free !== null && free < needed) return { state: 'failed', detail, error: `not enough space in ${meta.target.dir}` };
  const ports = await portsBlocked(d, meta, 'drill');
  if (ports) return { state: 'failed', detail, error: `${ports}: the drill's instance could not forward it` };
  return { state: 'succeeded', detail, issues: meta.params.pointNotes ?? [] };
}

async function precheck(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  fs.mkdirSync(meta.target.dir, { recursive: true });
  const gates = gatesNow(d, h, meta.target.dir, false, meta.params.finalSync);
  const detail = gates.map((g) => `${g.ok ? 'ok' : g.blocking ? 'BLOCKED' : 'warn'} ${g.name}: ${g.detail}`).join('; ');
  const bad = gates.filter((g) => !g.ok);
  if (!gatesReady(gates)) return { state: 'failed', detail, error: `pre-check failed: ${bad.map((g) => g.name).join(', ')}` };
  const ports = await portsBlocked(d, meta, 'failover');
  if (ports) return { state: 'failed', detail, error: `pre-check failed: ${ports}: the failover instance could not forward it` };
  return { state: 'succeeded', detail, issues: [...(meta.params.pointNotes ?? []), ...bad.map((g) => `pre-check warning (${g.name}): ${g.detail}`)] };
}

async function fence(d: StepDeps, ctx: StepContext): Promise<StepOutcome> {
  const name = ctx.step.host!;
  const h = d.host.catalog.hostByName(name);
  if (!h) return { state: 'failed', error: `host ${name} no longer exists` };
  d.host.catalog.setHostFailedOver(h.id, true);
  const cancelled = d.host.cancelBackups(name);
  const told = d.host.fence(name, `failover run ${ctx.run.id}`);
  d.host.pushHost(name);
  d.host.event('critical', 'host.fenced', name, `host ${name} fenced by failover run ${ctx.run.id}: replication stopped${told ? ', agent told' : ' (agent not connected; told when it reconnects)'}`);
  const detail = `${name} marked failed over; ${told ? 'agent told to stop replicating' : 'agent not connected: it is told on reconnect'}${cancelled.length ? `; cancelled backup job(s) ${cancelled.join(', ')}` : ''}`;
  return { state: 'succeeded', detail, result: { fence: { agentTold: told, cancelledJobs: cancelled } } };
}

async function restore(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const p = h.points.find((x) => x.volume === ctx.step.volume);
  if (!p) throw new Error(`volume ${ctx.step.volume} is not in this run`);
  const started = d.host.clock.now();
  // instant recovery: the instance already runs from the export; this is the copy behind it
  const booted = meta.params.instant && d.vm ? runningInstance(d.vm.instances, ctx.run.id, h.host) : undefined;
  if (booted?.disk === 'nbd') d.vm!.instances.store.setDisk(booted.id, 'nbd+copying');
  const watch = stallWatch(ctx.signal, d.opts.stallSeconds ? d.opts.stallSeconds * 1000 : undefined, () => Date.now(), `restore of ${h.host} volume ${p.volume}`);
  const r = await watch.guard(restoreVolume(d.host.store, p.pointId, p.volume, p.image, {
    format: meta.target.format as ImageFormat,
    signal: watch.signal,
    onProgress: (x) => {
      watch.touch(x.doneBytes, x.totalBytes);
      const elapsed = (d.host.clock.now() - started) / 1000;
      d.onProgress(ctx.run.id, ctx.step.index, { doneBytes: x.doneBytes, totalBytes: x.totalBytes, rate: elapsed > 0 ? Math.round(x.doneBytes / elapsed) : 0 });
    },
  }));
  const finished = d.host.clock.now();
  if (r.zeroedBlocks.length === 0) d.host.catalog.repos.damage.addMarks(p.pointId, { restored: { time: new Date(finished).toISOString(), by: `${ctx.run.kind} run ${ctx.run.id}` } });
  const ms = Math.max(1, finished - started);
  const digest = {
    name: 'digest', type: 'digest' as const, host: h.host, volume: p.volume, status: 'pass' as const,
    startedAt: new Date(started).toISOString(), finishedAt: new Date(finished).toISOString(), durationMs: finished - started,
    detail: `every chunk verified; Merkle root ${r.merkleRoot.slice(0, 16)}… matches point ${p.pointId}`,
  };
  return {
    state: 'succeeded',
    detail: `point ${p.pointId} → ${r.path} (${meta.target.format}, ${formatBytes(r.size)}, ${formatRate((r.size / ms) * 1000)})`,
    result: { restore: { pointId: p.pointId, path: r.path, format: r.format, size: r.size, bytesPerSec: Math.round((r.size * 1000) / ms), merkleRoot: r.merkleRoot }, checks: [digest] },
  };
}

async function deliver(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const r = await deliverImages(meta.target, envOf(ctx, meta, h), d.opts.deliverTimeoutSeconds ?? 3600, ctx.signal);
  return r.ok
    ? { state: 'succeeded', detail: r.output, result: { hook: { kind: 'command', output: r.output } } }
    : { state: 'failed', error: `target hook failed: ${r.output}`, result: { hook: { kind: 'command', output: r.output } } };
}

const bootPassed = (ms: number | undefined) => (ms === undefined ? '' : `boot check passed in ${(ms / 1000).toFixed(1)} s · `);

async function checks(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const row = d.host.catalog.hostByName(h.host);
  const inst = d.vm && meta.target.type === 'qemu' ? runningInstance(d.vm.instances, ctx.run.id, h.host) : undefined;
  const subject: CheckSubject = {
    host: h.host, tags: row?.tags ?? [], tier: h.tier, format: meta.target.format,
    images: h.points.map((p) => ({ volume: p.volume, path: p.image })), env: envOf(ctx, meta, h), instance: checkInstance(inst),
  };
  const results = [];
  // the cockpit shows what the step does while it runs: "booting… 3 s", then each probe
  const say = (text: string, since: number) =>
    d.onProgress(ctx.run.id, ctx.step.index, { doneBytes: 0, totalBytes: 0, rate: 0, activity: { text, since: new Date(since).toISOString() } });
  const all = checksFor(d.opts.checks, h.checks, subject);
  for (const c of all) {
    if (c.type === 'boot' && subject.instance) say('booting', subject.instance.poweredOnAt);
    else say(`${bootPassed(subject.bootMs)}${c.name} (${c.type})`, d.host.clock.now());
    const r = await runCheck(c, subject, d.host.clock, ctx.signal);
    results.push(r);
    if (c.type === 'boot' && r.status === 'fail') {
      // probes of a guest that never came up only repeat it; its screen (no bootable device, a
      // panic) may say why: the screenshot is still taken, before the instance stops
      const up = subject.instance?.pid != null && pidAlive(subject.instance.pid);
      if (up) for (const shot of all.filter((x) => x.type === 'screenshot')) results.push(await runCheck(shot, subject, d.host.clock, ctx.signal));
      break;
    }
  }
  const failed = results.filter((r) => r.status === 'fail');
  const mark = { time: new Date(d.host.clock.now()).toISOString(), run: ctx.run.id };
  // booted: the guest came up from these points (a passing boot check); appChecked: every check passed
  const marks = {
    ...(results.some((r) => r.type === 'boot' && r.status === 'pass') ? { booted: mark } : {}),
    ...(results.length > 0 && failed.length === 0 ? { appChecked: mark } : {}),
  };
  // one commit, so one fsync of the catalog, for all of it: the RTO ends with this step, and
  // each commit waits for the disk (0.2 s for five of them seen after a 16 GiB restore)
  d.host.catalog.tx(() => {
    if (Object.keys(marks).length > 0) for (const p of h.points) d.host.catalog.repos.damage.addMarks(p.pointId, marks);
    if (inst && subject.bootMs !== undefined) d.vm!.instances.store.setBoot(inst.id, subject.bootMs);
  });
  const detail = results.length ? `${bootPassed(subject.bootMs)}${results.map((r) => `${r.name} ${r.status}`).join(', ')}` : 'digest verified during restore; no other checks configured';
  const result = { checks: results, ...(inst && subject.bootMs !== undefined ? { instance: { id: inst.id, accel: inst.accel ?? '', note: null, network: inst.network, ports: inst.ports, bootMs: subject.bootMs } } : {}) };
  const bootFailed = results.some((r) => r.type === 'boot' && r.status === 'fail');
  if (inst && bootFailed) {
    await d.vm!.instances.stop(inst.id, inst.host);
    // an instant recovery's exports serve nothing once its VM is gone
    await d.vm!.instances.closeRunExports(ctx.run.id, h.host);
    d.host.event('critical', 'instance.boot_failed', h.host, `${h.host} did not boot on target ${meta.target.name ?? '-'} (run ${ctx.run.id}); instance ${inst.id} stopped`);
  }
  return failed.length
    ? { state: 'failed', detail, error: `check(s) failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}`, result }
    : { state: 'succeeded', detail, result };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

async function switchHook(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const hook = d.opts.switchHook;
  if (!hook) return { state: 'skipped', detail: 'no switch hook configured (recovery.switch); switch DNS/load balancer by hand' };
  const h = scopeHost(meta, ctx.step.host);
  const direction = ctx.run.kind === 'failback' ? 'failback' : 'failover';
  const env = { ...envOf(ctx, meta, h), DRC_DIRECTION: direction };
  const r =
    hook.type === 'command'
      ? await runCommand(hook.command, env, hook.timeout, ctx.signal)
      : await postWebhook(hook.url, { event: `${direction}.switch`, direction, run: ctx.run.id, host: h.host, images: h.points.map((p) => p.image), time: new Date(d.host.clock.now()).toISOString() }, hook.timeout, ctx.signal);
  const result = { hook: { kind: hook.type, output: r.output } };
  return r.ok ? { state: 'succeeded', detail: r.output, result } : { state: 'failed', error: `switch hook failed: ${r.output}`, result };
}

function complete(d: StepDeps, meta: RunMeta, ctx: StepContext): StepOutcome {
  const hosts = runHosts(ctx.run, meta, true);
  const o = runObjectives(hosts);
  const auto = autoVerdict(ctx.run, [o.rto, o.rpo]);
  const verdict = meta.params.verdict ?? auto;
  d.runs.setVerdict(ctx.run.id, verdict, meta.params.verdict ? 'operator' : 'checks', meta.params.notes ?? null);
  const now = d.host.clock.now();
  if (ctx.run.kind === 'drill' && verdict === 'pass') {
    for (const p of meta.hosts.flatMap((h) => h.points)) d.host.catalog.repos.damage.addMarks(p.pointId, { drilled: { time: new Date(now).toISOString(), run: ctx.run.id } });
  }
  if (ctx.run.kind === 'drill') {
    const expires = new Date(now + (meta.params.ttlSeconds ?? d.opts.drillTtlSeconds) * 1000).toISOString();
    d.runs.setExpiry(ctx.run.id, expires);
    d.vm?.instances.store.setExpiry(ctx.run.id, expires);
  }
  const issues = meta.params.verdict && meta.params.verdict !== auto ? [`operator verdict ${meta.params.verdict} differs from the checks' ${auto}`] : [];
  const detail = `RTO ${secs(o.rto.actualSeconds)} (target ${secs(o.rto.targetSeconds)}), RPO ${secs(o.rpo.actualSeconds)} (target ${secs(o.rpo.targetSeconds)}); verdict ${verdict}`;
  return { state: 'succeeded', detail, issues };
}

export function stepRunner(d: StepDeps): StepRunner {
  return async (ctx) => {
    const meta = d.runs.get(ctx.run.id)!.meta;
    if (ctx.run.kind === 'failback' && ctx.step.kind !== 'switch' && ctx.step.kind !== 'complete') return failbackStep(d, meta, ctx);
    switch (ctx.step.kind) {
      case 'prepare':
        return prepare(d, meta);
      case 'precheck':
        return precheck(d, meta, ctx);
      case 'fence':
        return fence(d, ctx);
      case 'restore':
        return restore(d, meta, ctx);
      case 'deliver':
        return deliver(d, meta, ctx);
      case 'checks':
        return checks(d, meta, ctx);
      case 'start':
        if (!d.vm) throw new Error('this hub runs no instances');
        return startHost(d.vm, meta, scopeHost(meta, ctx.step.host), ctx);
      case 'attach':
        if (!d.vm) throw new Error('this hub runs no instances');
        return attachLocal(d.vm, meta, scopeHost(meta, ctx.step.host), ctx);
      case 'wait':
        await sleep(ctx.step.waitSeconds * 1000, ctx.signal);
        return { state: 'succeeded', detail: `waited ${ctx.step.waitSeconds} s` };
      case 'switch':
        return switchHook(d, meta, ctx);
      case 'complete':
        return complete(d, meta, ctx);
      case 'final-sync':
        return finalSyncStep(d, meta, ctx);
      default:
        throw new Error(`a ${ctx.run.kind} has no ${ctx.step.kind} step`);
    }
  };
}
