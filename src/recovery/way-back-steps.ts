// The way back, step by step: a failover's final sync, and the steps of a failback (pre-check,
// reverse sync of the blocks that differ, cut-over with the last delta, verification of the
// source against the DR image, un-fence). Each is safe to run again after a hub restart: the
// differing blocks are measured again from both sides every time.
import type { GateView, RunPointView } from '../protocol/recovery.js';
import fs from 'node:fs';
import path from 'node:path';
import { merkleRootPacked } from '../protocol/merkle.js';
import { mergeOverlay } from './qemu/overlay-merge.js';
import { formatBytes } from '../format/human.js';
import type { StepContext } from './executor.js';
import type { RecoveryHost } from './host.js';
import { differingBlocks, readBlocks } from './image-hashes.js';
import { changedDiff, diffVolume, lastDelta, type VolumeDiff } from './way-back-diff.js';
import { liveDiskHashes, liveForecast, liveRound, trackedInstance, volumeBlockSize } from './way-back-live.js';
import { pauseInstance, resumeInstance } from './qemu/dirty-tracking.js';
import type { InstanceRow } from '../catalog/instance-store.js';
import type { StepOutcome, StepSpec } from './runbook.js';
import type { RunMeta, RunScopeHost } from './run-store.js';
import type { StepDeps } from './steps.js';

const spec = (kind: StepSpec['kind'], host: string, volume: string | null, title: string): StepSpec => ({ kind, host, volume, title, policy: 'abort', waitSeconds: 0 });

/** pre-check → reverse sync per volume → cut-over → verify → switch back → un-fence → complete; any failure stops it, the host stays failed over */
export function failbackSteps(host: string, volumes: string[]): StepSpec[] {
  return [
    spec('precheck', host, null, `pre-check: ${host}'s agent, volumes and the blocks to send back`),
    ...volumes.map((v) => spec('reverse-sync', host, v, `reverse sync ${host}/${v}: the blocks that differ, while the DR image stays in use`)),
    spec('cutover', host, null, `cut-over: stop using the DR image, send the last delta`),
    spec('checks', host, null, `verify ${host}'s volumes against the DR image (Merkle root)`),
    spec('switch', host, null, 'DNS/load-balancer switch back (DRC_DIRECTION=failback)'),
    spec('unfence', host, null, `un-fence ${host}: replication resumes`),
    spec('complete', host, null, 'record completion'),
  ];
}

function scopeHost(meta: RunMeta, host: string | null): RunScopeHost {
  const h = meta.hosts.find((x) => x.host === host);
  if (!h) throw new Error(`host ${host} is not in this run`);
  return h;
}

function changesText(x: VolumeDiff): string {
  const compared = x.union === null ? `whole volumes compared (${x.sourceHashed} source hashes)` : `only their union of ${x.union} block(s) compared`;
  return `DR-side changes ${x.drChanged ?? '?'}, source changes ${x.sourceChanged ?? '?'} since point ${x.point.pointId}; ${compared}`;
}

async function sendDiff(host: RecoveryHost, name: string, d: VolumeDiff, signal: AbortSignal): Promise<{ blocks: number; bytes: number }> {
  if (d.differing.length === 0) return { blocks: 0, bytes: 0 };
  const link = host.sourceVolumes(name);
  if (!link) throw new Error(`the agent of ${name} is not connected`);
  const written = await link.write(d.point.volume, { blockSize: d.blockSize, size: d.size }, readBlocks(d.point.image, d.blockSize, d.size, d.differing), signal);
  const bytes = d.differing.reduce((a, i) => a + Math.min(d.blockSize, d.size - i * d.blockSize), 0);
  return { blocks: written, bytes };
}

/** The failback pre-check's gates for a host (also the API's precheck). */
export function failbackGates(host: RecoveryHost, name: string, points: RunPointView[] | null, targetType?: string): GateView[] {
  const row = host.catalog.hostByName(name);
  const gates: GateView[] = [];
  gates.push({ name: 'failed-over', ok: !!row?.failedOver, blocking: true, detail: row?.failedOver ? `${name} is failed over` : `${name} is not failed over: nothing to come back from` });
  gates.push(
    points === null
      ? { name: 'point', ok: false, blocking: true, detail: `no failover of ${name} restored its volumes; use drc failover cancel ${name} to un-fence without failback` }
      : { name: 'point', ok: true, blocking: true, detail: `DR images of failover point(s) ${points.map((p) => p.pointId).join(', ')}` },
  );
  // a qemu instance writes into its overlay, tracked by the dirty bitmap the hub added at boot
  if (targetType === 'qemu') gates.push({ name: 'target', ok: true, blocking: false, detail: `${name} runs as a qemu instance: the reverse sync reads the guest's writes while it runs, the cut-over pauses it, and once the source is verified it stops and its overlay is merged into the DR image` });
  const link = host.link(name);
  gates.push({ name: 'agent', ok: link === 'connected', blocking: true, detail: link === 'connected' ? `source agent of ${name} connected` : `source agent of ${name} ${link}: start it on the source host` });
  return gates;
}

async function precheck(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const gates = failbackGates(d.host, h.host, h.points, meta.target.type);
  const bad = gates.filter((g) => !g.ok && g.blocking);
  if (bad.length) return { state: 'failed', detail: bad.map((g) => g.detail).join('; '), error: `pre-check failed: ${bad.map((g) => g.name).join(', ')}` };
  const lines: string[] = [];
  const live = await liveInstance(d, meta, h);
  for (const p of h.points) {
    if (live) {
      const f = await liveForecast(d.host, h.host, live, p, ctx.signal);
      lines.push(`${p.volume}: at most ${f.union} block(s) (${formatBytes(f.union * f.blockSize)}) to send back: ${f.drChanged} written by instance ${live.id}'s guest so far, source changes ${f.sourceChanged ?? '?'} since point ${p.pointId}`);
      continue;
    }
    const x = await changedDiff(d.host, h.host, p, ctx.signal);
    lines.push(`${p.volume}: ${x.differing.length} block(s) (${formatBytes(x.differing.length * x.blockSize)}) to send back; ${changesText(x)}`);
  }
  return { state: 'succeeded', detail: lines.join('; ') };
}

async function reverseSync(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const p = h.points.find((x) => x.volume === ctx.step.volume);
  if (!p) throw new Error(`volume ${ctx.step.volume} is not in this run`);
  const live = await liveInstance(d, meta, h);
  if (live) {
    const r = await liveRound(d.host, h.host, live, p, true, ctx.signal);
    return {
      state: 'succeeded',
      detail: `${r.blocksSent} block(s), ${formatBytes(r.bytesSent)} sent back into ${h.host}/${p.volume} while instance ${live.id} runs (${r.drChanged} block(s) written by the guest, source changes ${r.sourceChanged ?? '?'} since point ${p.pointId}; only their union of ${r.union} compared)`,
      result: { sync: { blocksSent: r.blocksSent, bytesSent: r.bytesSent, drChanged: r.drChanged, sourceChanged: r.sourceChanged, unionBlocks: r.union, sourceHashed: r.sourceHashed } },
    };
  }
  const x = await changedDiff(d.host, h.host, p, ctx.signal);
  d.onProgress(ctx.run.id, ctx.step.index, { doneBytes: 0, totalBytes: x.differing.length * x.blockSize, rate: 0 });
  const sent = await sendDiff(d.host, h.host, x, ctx.signal);
  return {
    state: 'succeeded',
    detail: `${sent.blocks} block(s), ${formatBytes(sent.bytes)} sent back into ${h.host}/${p.volume} (${changesText(x)})`,
    result: { sync: { blocksSent: sent.blocks, bytesSent: sent.bytes, drChanged: x.drChanged, sourceChanged: x.sourceChanged, unionBlocks: x.union, sourceHashed: x.sourceHashed } },
  };
}

/** A qemu failover's instance: stopped (its state stays in the instances table), its overlays merged into the DR images. */
async function stopInstance(d: StepDeps, meta: RunMeta, h: RunScopeHost): Promise<string> {
  if (!d.vm) throw new Error('this hub runs no qemu instances');
  const failoverRun = Number(meta.params.failoverRun);
  const row = d.vm.instances.ofRun(failoverRun, h.host).filter((r) => r.kind === 'failover').sort((a, b) => b.id - a.id)[0];
  if (!row) throw new Error(`failover run ${failoverRun} has no instance of ${h.host}`);
  if (row.state === 'running') await d.vm.instances.stop(row.id, row.host);
  for (const p of h.points) {
    const overlay = path.join(row.dir, `overlay-${p.volume}.qcow2`);
    if (!fs.existsSync(overlay)) throw new Error(`instance ${row.id}: overlay of ${p.volume} is gone (${overlay})`);
    await mergeOverlay(overlay, p.image);
  }
  return `instance ${row.id} stopped, its overlay merged into the DR image`;
}

/** A qemu failover's instance that runs (or is paused by the cut-over) with the guest's writes tracked. */
function liveInstance(d: StepDeps, meta: RunMeta, h: RunScopeHost): Promise<InstanceRow | null> {
  if (meta.target.type !== 'qemu') return Promise.resolve(null);
  return trackedInstance(d.vm?.instances, Number(meta.params.failoverRun), h.host, h.points.map((p) => p.volume));
}

/** The cut-over of a tracked instance: the guest paused, what it wrote since the reverse sync sent. */
async function liveCutover(d: StepDeps, h: RunScopeHost, row: InstanceRow, ctx: StepContext): Promise<StepOutcome> {
  await pauseInstance(row.qmp!);
  try {
    let blocks = 0;
    let bytes = 0;
    for (const p of h.points) {
      const r = await liveRound(d.host, h.host, row, p, false, ctx.signal);
      blocks += r.blocksSent;
      bytes += r.bytesSent;
    }
    return { state: 'succeeded', detail: `instance ${row.id} paused; last delta ${blocks} block(s), ${formatBytes(bytes)} (written by the guest since the reverse sync)`, result: { sync: { blocksSent: blocks, bytesSent: bytes, unionBlocks: blocks, sourceHashed: 0 } } };
  } catch (e) {
    await resumeInstance(row.qmp!).catch(() => undefined);
    throw e;
  }
}

async function cutover(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const live = await liveInstance(d, meta, h);
  if (live) return liveCutover(d, h, live, ctx);
  const stopped = meta.target.type === 'qemu' ? await stopInstance(d, meta, h) : null;
  let blocks = 0;
  let bytes = 0;
  let union = 0;
  let hashed = 0;
  for (const p of h.points) {
    const x = stopped ? await changedDiff(d.host, h.host, p, ctx.signal) : await lastDelta(d.host, h.host, p, ctx.signal);
    const sent = await sendDiff(d.host, h.host, x, ctx.signal);
    blocks += sent.blocks;
    bytes += sent.bytes;
    union += x.union ?? x.differing.length;
    hashed += x.sourceHashed;
  }
  const stop = stopped ?? (meta.target.type === 'command' ? 'the target hook owns the DR instance: stop it before the switch' : `directory target: nothing of the hub's serves the DR image`);
  return { state: 'succeeded', detail: `${stop}; last delta ${blocks} block(s), ${formatBytes(bytes)}`, result: { sync: { blocksSent: blocks, bytesSent: bytes, unionBlocks: union, sourceHashed: hashed } } };
}

/** Both sides' block hashes: the paused guest's disk (point + overlay) while the source hashes its volume, or both images whole. */
async function bothSides(d: StepDeps, h: RunScopeHost, p: RunPointView, live: InstanceRow | null, signal: AbortSignal): Promise<{ sourceSha: Buffer; drSha: Buffer; differing: number }> {
  if (!live) {
    const x = await diffVolume(d.host, h.host, p, signal);
    return { sourceSha: x.sourceSha, drSha: x.drSha, differing: x.differing.length };
  }
  const link = d.host.sourceVolumes(h.host);
  if (!link) throw new Error(`the agent of ${h.host} is not connected`);
  const [src, dr] = await Promise.all([link.hashes(p.volume, signal), liveDiskHashes(d.host, live, p, volumeBlockSize(d.host, h.host, p.volume))]);
  if (src.size !== dr.size) throw new Error(`source volume ${p.volume} is ${src.size} bytes, the DR disk ${dr.size}; they must be the same size`);
  return { sourceSha: src.sha, drSha: dr.sha, differing: differingBlocks(src.sha, dr.sha).length };
}

async function verify(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const live = await liveInstance(d, meta, h);
  // an untracked (or already stopped) instance: its overlay goes into the DR image before the comparison
  if (!live && meta.target.type === 'qemu' && d.vm) await stopInstance(d, meta, h);
  const checks = [];
  for (const p of h.points) {
    const started = d.host.clock.now();
    const x = await bothSides(d, h, p, live, ctx.signal);
    const src = merkleRootPacked(x.sourceSha);
    const dr = merkleRootPacked(x.drSha);
    const finished = d.host.clock.now();
    const ok = src === dr && x.differing === 0;
    checks.push({
      name: 'digest', type: 'digest' as const, host: h.host, volume: p.volume, status: ok ? ('pass' as const) : ('fail' as const),
      startedAt: new Date(started).toISOString(), finishedAt: new Date(finished).toISOString(), durationMs: finished - started,
      detail: ok ? `source Merkle root ${src.slice(0, 16)}… equals the DR image's` : `source Merkle root ${src.slice(0, 16)}… differs from the DR image's ${dr.slice(0, 16)}… (${x.differing} block(s))`,
    });
  }
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length && live) await resumeInstance(live.qmp!).catch(() => undefined);
  if (failed.length) return { state: 'failed', detail: failed.map((c) => c.detail).join('; '), error: `source differs from the DR image: ${failed.map((c) => c.volume).join(', ')}`, result: { checks } };
  // the way home loses nothing: the source equals the DR image as of now (the return's RPO is 0)
  const now = new Date(d.host.clock.now()).toISOString();
  d.runs.setHosts(ctx.run.id, meta.hosts.map((x) => (x.host === h.host ? { ...x, points: x.points.map((p) => ({ ...p, time: now })) } : x)));
  const cut = ctx.run.steps.find((s) => s.kind === 'cutover' && s.host === h.host);
  const downtimeMs = cut?.startedAt ? d.host.clock.now() - cut.startedAt : 0;
  // the source is verified: the DR instance stops for good, its overlay kept in the DR image
  const archived = live ? `; ${await stopInstance(d, meta, h)}` : '';
  return { state: 'succeeded', detail: `${checks.map((c) => c.detail).join('; ')}; cut-over downtime ${(downtimeMs / 1000).toFixed(1)} s${archived}`, result: { checks, sync: { downtimeMs } } };
}

function unfence(d: StepDeps, ctx: StepContext): StepOutcome {
  const name = ctx.step.host!;
  const row = d.host.catalog.hostByName(name);
  if (!row) return { state: 'failed', error: `host ${name} no longer exists` };
  d.host.catalog.setHostFailedOver(row.id, false);
  const told = d.host.unfence(name, `failback run ${ctx.run.id}`);
  d.host.pushHost(name);
  d.host.event('info', 'host.unfenced', name, `host ${name} un-fenced by failback run ${ctx.run.id}: replication resumes from its last committed generation`);
  return { state: 'succeeded', detail: `${name} back home; ${told ? 'agent told to replicate again' : 'agent told when it connects'}; the next backup is an incremental` };
}

/** How long a resumed step waits for the source agent to reconnect to a restarted hub. */
export const RESUME_AGENT_GRACE_MS = 30_000;

/**
 * A step run again after the hub stopped or died: the source agent reconnects on its own a
 * few seconds after the hub is back, so the step waits for it (at most the grace) instead
 * of failing the failback for an agent that is on its way.
 */
async function awaitSourceAgent(d: StepDeps, ctx: StepContext): Promise<void> {
  const name = ctx.step.host;
  if (!name || ctx.step.attempts < 2) return;
  const until = performance.now() + RESUME_AGENT_GRACE_MS;
  while (d.host.link(name) !== 'connected' && performance.now() < until && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, 100));
}

/** The steps of a failback run (switch and complete are the failover's own). */
export async function failbackStep(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  if (ctx.step.kind !== 'unfence') await awaitSourceAgent(d, ctx);
  switch (ctx.step.kind) {
    case 'precheck':
      return precheck(d, meta, ctx);
    case 'reverse-sync':
      return reverseSync(d, meta, ctx);
    case 'cutover':
      return cutover(d, meta, ctx);
    case 'checks':
      return verify(d, meta, ctx);
    case 'unfence':
      return unfence(d, ctx);
    default:
      throw new Error(`a failback has no ${ctx.step.kind} step`);
  }
}

/** A failover's final sync: with the source still connected, one last incremental before the fence. */
export async function finalSyncStep(d: StepDeps, meta: RunMeta, ctx: StepContext): Promise<StepOutcome> {
  const h = scopeHost(meta, ctx.step.host);
  const stands = `the failover restores point(s) ${h.points.map((p) => p.pointId).join(', ')}`;
  if (meta.params.finalSync === false) return { state: 'skipped', detail: `skipped (--no-final-sync); ${stands}` };
  const link = d.host.link(h.host);
  if (link !== 'connected') return { state: 'skipped', detail: `source agent ${link}: no final sync; ${stands}` };
  const r = await d.host.finalSync(h.host, ctx.signal);
  if (r.error) return { state: 'skipped', detail: `final sync (job ${r.jobId}) failed: ${r.error}; ${stands}`, issues: [`final sync failed: ${r.error}`] };
  const kept: string[] = [];
  const points: RunPointView[] = h.points.map((p) => {
    const row = d.host.catalog.hostByName(h.host);
    const vol = row && d.host.catalog.volumesOf(row.id).find((v) => v.name === p.volume);
    const latest = vol ? d.host.catalog.latestPoint(vol.id) : undefined;
    // never fail over onto data a suspicious change (or damage) after the chosen point touched
    const tainted = vol ? d.host.catalog.points(vol.id).filter((x) => x.id > p.pointId && (x.suspect || x.damaged)) : [];
    if (latest && tainted.length) kept.push(`${p.volume}: final sync point ${latest.id} not used; point(s) ${tainted.map((x) => x.id).join(', ')} after point ${p.pointId} are ${tainted.some((x) => x.suspect) ? 'suspect' : 'damaged'}, so the failover restores point ${p.pointId}`);
    return latest && !tainted.length ? { ...p, pointId: latest.id, time: latest.time, type: latest.type, size: latest.size, verified: latest.verifiedAt !== null } : p;
  });
  d.runs.setHosts(ctx.run.id, meta.hosts.map((x) => (x.host === h.host ? { ...x, points } : x)));
  return {
    state: 'succeeded',
    detail: `job ${r.jobId} took point(s) ${points.map((p) => p.pointId).join(', ')} with the source quiesced; ${kept.length ? kept.join('; ') : 'nothing acknowledged is lost (RPO 0)'}`,
    result: { sync: { jobId: r.jobId, pointIds: points.map((p) => p.pointId) } },
    ...(kept.length ? { issues: kept } : {}),
  };
}
