// Copies to second targets (config `copies:`): runs them by their cron (inside their window)
// or on request, one run per copy at a time, records each run, and reports per copy the
// points held, the lag and the last run. A run copies the points the copy's keep rules keep
// and then prunes the ones they let go. A copy behind its RPO raises an event once.
import { CopyRecords, type CopyRunRow } from '../catalog/copy-store.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CopyConfig } from '../config/types.js';
import type { Level } from '../protocol/operator.js';
import type { CopyRunView, CopySummaryView, CopyView } from '../protocol/storage.js';
import { copyLockSeconds, keptByCopy, type CopyCandidate, type CopyKeepPolicy } from '../scheduler/copy-retention.js';
import { nextRun, parseCron } from '../scheduler/cron.js';
import { isOpenAt, minuteOfDay } from '../scheduler/window.js';
import type { BlockStore } from '../store/block-store.js';
import { copyPoints, recordUnrecordedHeld } from '../store/copy.js';
import { pruneCopy, pruneNote } from '../store/copy-prune.js';
import { StoreError } from '../store/errors.js';
import { copyTarget, openPackStore } from '../store/registry.js';
import { ApiError } from './api.js';

/** What the copies need from the hub. */
export interface CopiesHost {
  catalog: Catalog;
  store: BlockStore;
  now(): number;
  event(level: Level, kind: string, host: string | null, message: string, data?: object): unknown;
}

function runView(r: CopyRunRow): CopyRunView {
  return { ...r };
}

const policyOf = (c: CopyConfig): CopyKeepPolicy => ({ within: c.keep, rules: c.keepRules, timezone: c.timezone });

export class HubCopies {
  private readonly records: CopyRecords;
  private readonly running = new Map<string, { id: number; done: Promise<CopyRunView> }>();
  private readonly next = new Map<string, number>();
  private readonly behind = new Set<string>();
  private readonly abort = new AbortController();

  constructor(
    private readonly hub: CopiesHost,
    public copies: readonly CopyConfig[],
  ) {
    this.records = new CopyRecords(hub.catalog.db);
  }

  start(): void {
    this.records.failRunning(new Date(this.hub.now()).toISOString());
    for (const c of this.copies) if (c.cron) this.next.set(c.name, nextRun(parseCron(c.cron, c.timezone), this.hub.now()));
  }

  /** A config reload: the new copies and crons from now on (a copy running now finishes with its old settings). */
  reconfigure(copies: readonly CopyConfig[]): void {
    this.copies = copies;
    this.next.clear();
    for (const c of copies) if (c.cron) this.next.set(c.name, nextRun(parseCron(c.cron, c.timezone), this.hub.now()));
    for (const name of [...this.behind]) if (!copies.some((c) => c.name === name)) this.behind.delete(name);
  }

  /** Cancel running copies and wait for them to record their end. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /** Once a second: start copies whose time has come (inside their window); check lag. */
  tick(): void {
    const now = this.hub.now();
    for (const c of this.copies) {
      const due = this.next.get(c.name);
      if (due !== undefined && now >= due && !this.running.has(c.name)) {
        if (c.window && !isOpenAt(c.window, minuteOfDay(c.timezone, now))) continue;
        this.next.set(c.name, nextRun(parseCron(c.cron!, c.timezone), now));
        void this.run(c.name, 'schedule').done.catch(() => undefined);
      }
      if (c.rpo !== null) {
        const lag = this.lagSeconds(c.name, now);
        if (lag > c.rpo && !this.behind.has(c.name)) {
          this.behind.add(c.name);
          this.hub.event('warning', 'copy.behind', null, `copy ${c.name} is ${Math.round(lag)} s behind (RPO ${c.rpo} s)`, { copy: c.name });
        } else if (lag <= c.rpo) this.behind.delete(c.name);
      }
    }
  }

  private config(name: string): CopyConfig {
    const c = this.copies.find((x) => x.name === name);
    if (!c) throw new ApiError('not-found', `no copy named ${name}${this.copies.length ? ` (copies: ${this.copies.map((x) => x.name).join(', ')})` : ' (no copies: in the config)'}`);
    return c;
  }

  private lagSeconds(name: string, now: number): number {
    const oldest = this.records.oldestMissingTime(name);
    return oldest ? Math.max(0, (now - Date.parse(oldest)) / 1000) : 0;
  }

  /** Start a run (or join the one running); resolves when it has finished. */
  run(name: string, origin: string, bytesPerSecond?: number): { id: number; done: Promise<CopyRunView> } {
    const c = this.config(name);
    const running = this.running.get(name);
    if (running) return running;
    const iso = () => new Date(this.hub.now()).toISOString();
    const id = this.records.startRun(name, origin, iso());
    const done = (async () => {
      let error: string | null = null;
      let pruned = 0;
      let note: string | null = null;
      let target;
      try {
        target = openPackStore(copyTarget(c));
        const plan = this.plan(c);
        const p = await copyPoints(this.hub.store, target, { name: c.name, immutable: c.immutable, keep: copyLockSeconds(policyOf(c)) }, {
          bytesPerSecond,
          signal: this.abort.signal,
          now: this.hub.now,
          only: plan.copy,
          onProgress: (x) => this.records.progressRun(id, x.points, x.packs, x.bytes),
        });
        this.records.progressRun(id, p.points, p.packs, p.bytes);
        const outcome = await pruneCopy(this.hub.catalog, target, c, plan.drop, { now: this.hub.now, signal: this.abort.signal });
        pruned = outcome.points;
        const kept = p.staleKeys?.length ? `immutable: still holds ${p.staleKeys.length} removed key file(s) (${p.staleKeys.map((k) => k.replace(/^keys\//, '')).join(', ')}) until their retention ends` : null;
        note = [pruneNote(outcome), kept].filter(Boolean).join('; ') || null;
      } catch (e) {
        error = e instanceof StoreError ? e.message : `copy ${name}: ${(e as Error).message}`;
      } finally {
        target?.close();
      }
      this.records.finishRun(id, iso(), error, pruned, note);
      const r = this.records.lastRun(name)!;
      const prunedText = pruned ? `, pruned ${pruned} point(s)` : '';
      if (error) this.hub.event('warning', 'copy.failed', null, `copy ${name} failed: ${error}`, { copy: name });
      else this.hub.event('info', 'copy.finished', null, `copy ${name}: ${r.points} point(s), ${r.packs} pack(s), ${r.bytes} bytes${prunedText}${note ? `; ${note}` : ''}`, { copy: name });
      this.running.delete(name);
      return runView(r);
    })();
    const entry = { id, done };
    this.running.set(name, entry);
    return entry;
  }

  /**
   * What a run does by the copy's keep rules, over the points it holds and the ones it lacks:
   * copy the lacking points they keep, mark the others as let go, drop the held ones they do not keep.
   */
  private plan(c: CopyConfig): { copy: Set<number>; drop: ReturnType<CopyRecords['heldPoints']> } {
    const now = this.hub.now();
    const at = new Date(now).toISOString();
    recordUnrecordedHeld(this.hub.store, c.name, at);
    const held = this.records.heldPoints(c.name);
    const candidates: CopyCandidate[] = held.map((h) => ({ key: h.object, volume: `${h.host}/${h.volume}`, time: Date.parse(h.time) }));
    const catalog = this.hub.catalog;
    for (const id of this.records.missingPoints(c.name)) {
      const p = catalog.point(id);
      const vol = p && catalog.volumeById(p.volumeId);
      const host = vol && catalog.hostById(vol.hostId);
      if (p && vol && host) candidates.push({ key: `point:${id}`, volume: `${host.name}/${vol.name}`, time: Date.parse(p.time) });
    }
    const kept = keptByCopy(candidates, policyOf(c), now);
    const copy = new Set<number>();
    for (const k of candidates) {
      if (!k.key.startsWith('point:')) continue;
      const id = Number(k.key.slice('point:'.length));
      if (kept.has(k.key)) copy.add(id);
      else this.records.markSkipped(c.name, id, at);
    }
    return { copy, drop: held.filter((h) => !kept.has(h.object)) };
  }

  summaries(): CopySummaryView[] {
    return this.views().map((v) => ({ name: v.name, pointsHeld: v.pointsHeld, pointsTotal: v.pointsTotal, lagSeconds: v.lagSeconds, lastState: v.lastRun?.state ?? null }));
  }

  views(): CopyView[] {
    const now = this.hub.now();
    const total = this.records.pointCount();
    return this.copies.map((c) => {
      const held = this.records.held(c.name);
      const last = this.records.lastRun(c.name);
      const next = this.next.get(c.name);
      return {
        name: c.name,
        type: c.type,
        target: c.type === 'directory' ? c.path : `s3://${c.bucket}/${c.prefix}`,
        immutable: c.immutable,
        pointsHeld: held.points,
        pointsTotal: total,
        lagSeconds: Math.round(this.lagSeconds(c.name, now)),
        rpoSeconds: c.rpo,
        next: next === undefined ? null : new Date(next).toISOString(),
        lastRun: last ? runView(last) : null,
      };
    });
  }
}
