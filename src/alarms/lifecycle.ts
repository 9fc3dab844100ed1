// The alarm lifecycle: firing → acknowledged → resolved. Signals open, refresh or resolve
// alarms, deduplicated by key; operators acknowledge and resolve by hand with a note.
// Flap damping: a key that fired FLAP_FIRES times within FLAP_WINDOW stays open until its
// condition has been clear for FLAP_QUIET, instead of resolving and firing again. A
// hand-resolved alarm whose condition still holds does not fire again until it clears.
import { ACK_SLA_SECONDS } from './rules.js';
import { AlarmError, type AlarmRecord, type AlarmStore, type Signal, type Transition } from './types.js';

export const FLAP_FIRES = 3;
export const FLAP_WINDOW_MS = 15 * 60_000;
export const FLAP_QUIET_MS = 10 * 60_000;

const SYSTEM = 'system:alarms';

export class AlarmBook {
  private openByKey = new Map<string, AlarmRecord>();
  private fireTimes = new Map<string, number[]>();
  /** flapping alarms whose condition cleared at this time */
  private clearSince = new Map<string, number>();
  /** keys resolved by hand while their condition still held */
  private suppressed = new Set<string>();

  constructor(private readonly store: AlarmStore) {
    for (const a of store.open()) this.openByKey.set(a.key, a);
  }

  open(): AlarmRecord[] {
    return [...this.openByKey.values()];
  }

  /** Apply the evaluator's signals; returns what changed, in order. */
  apply(now: number, signals: Signal[]): Transition[] {
    const out: Transition[] = [];
    for (const s of signals) {
      const a = this.openByKey.get(s.key);
      if (!s.active) {
        this.suppressed.delete(s.key);
        if (!a) continue;
        if (a.flapping) {
          if (!this.clearSince.has(s.key)) this.clearSince.set(s.key, now);
          continue;
        }
        out.push(this.close(a, now, SYSTEM, 'condition cleared'));
        continue;
      }
      if (this.suppressed.has(s.key)) continue;
      if (a) {
        this.clearSince.delete(s.key);
        if (s.occurrence) {
          a.count++;
          a.lastFiredAt = now;
        }
        if (s.occurrence || a.message !== s.message || a.value !== s.value) {
          a.message = s.message;
          a.value = s.value;
          this.store.update(a);
        }
        continue;
      }
      out.push(...this.fire(now, s));
    }
    return out;
  }

  private fire(now: number, s: Signal): Transition[] {
    const times = (this.fireTimes.get(s.key) ?? []).filter((t) => now - t < FLAP_WINDOW_MS);
    times.push(now);
    this.fireTimes.set(s.key, times);
    const flapping = times.length >= FLAP_FIRES;
    const rec: Omit<AlarmRecord, 'id'> = {
      key: s.key,
      rule: s.rule,
      level: s.level,
      host: s.host,
      subject: s.subject,
      state: 'firing',
      message: s.message,
      value: s.value,
      firedAt: now,
      lastFiredAt: now,
      count: 1,
      flapping,
      slaDueAt: now + ACK_SLA_SECONDS[s.level] * 1000,
      slaBreached: false,
      ackedAt: null,
      ackedBy: null,
      ackNote: null,
      resolvedAt: null,
      resolvedBy: null,
      resolveNote: null,
    };
    const a: AlarmRecord = { ...rec, id: this.store.insert(rec) };
    this.openByKey.set(a.key, a);
    const out: Transition[] = [{ kind: 'fired', alarm: a, actor: SYSTEM, note: null }];
    if (flapping) out.push({ kind: 'flapping', alarm: a, actor: SYSTEM, note: `fired ${times.length} times in ${FLAP_WINDOW_MS / 60_000} min; held open until clear for ${FLAP_QUIET_MS / 60_000} min` });
    return out;
  }

  private close(a: AlarmRecord, now: number, actor: string, note: string | null): Transition {
    a.state = 'resolved';
    a.resolvedAt = now;
    a.resolvedBy = actor;
    a.resolveNote = note;
    a.slaDueAt = null;
    this.store.update(a);
    this.openByKey.delete(a.key);
    this.clearSince.delete(a.key);
    return { kind: 'resolved', alarm: a, actor, note };
  }

  /** Time passes: SLA breaches of unacknowledged alarms, flapping alarms that stayed quiet. */
  tick(now: number): Transition[] {
    const out: Transition[] = [];
    for (const a of this.openByKey.values()) {
      if (a.state === 'firing' && !a.slaBreached && a.slaDueAt !== null && now >= a.slaDueAt) {
        a.slaBreached = true;
        this.store.update(a);
        out.push({ kind: 'sla_breached', alarm: a, actor: SYSTEM, note: `not acknowledged within ${ACK_SLA_SECONDS[a.level] / 60} min (${a.level})` });
      }
    }
    for (const [key, since] of this.clearSince) {
      const a = this.openByKey.get(key);
      if (a && now - since >= FLAP_QUIET_MS) out.push(this.close(a, now, SYSTEM, `condition clear for ${FLAP_QUIET_MS / 60_000} min after flapping`));
    }
    return out;
  }

  private openById(id: number): AlarmRecord {
    for (const a of this.openByKey.values()) if (a.id === id) return a;
    const stored = this.store.get(id);
    if (!stored) throw new AlarmError('not-found', `no alarm ${id}`);
    throw new AlarmError('refused', `alarm ${id} is already resolved`);
  }

  acknowledge(now: number, id: number, actor: string, note: string | null): Transition {
    const a = this.openById(id);
    if (a.state === 'acknowledged') throw new AlarmError('refused', `alarm ${id} is already acknowledged by ${a.ackedBy}`);
    a.state = 'acknowledged';
    a.ackedAt = now;
    a.ackedBy = actor;
    a.ackNote = note;
    a.slaDueAt = null;
    this.store.update(a);
    return { kind: 'acknowledged', alarm: a, actor, note };
  }

  /** Resolve by hand; the note says the cause and the steps taken. */
  resolve(now: number, id: number, actor: string, note: string): Transition {
    if (!note.trim()) throw new AlarmError('bad-request', 'resolving by hand needs a note (cause and steps taken)');
    const a = this.openById(id);
    if (!this.clearSince.has(a.key)) this.suppressed.add(a.key);
    return this.close(a, now, actor, note);
  }
}
