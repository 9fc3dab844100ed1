// The hub's journal: every event is stored, logged, sent to operators and handed to its
// listeners (the alarm rules); audit entries are stored with the hub's time.
import type { Catalog } from '../catalog/catalog.js';
import type { EventView, Level, Update } from '../protocol/operator.js';
import { stampCaller } from './caller.js';
import { isDiskFull } from './disk-full.js';
import type { Clock, HubLog, Journal } from './ports.js';

export type EventListener = (e: EventView, data: object) => void;

export class HubJournal implements Journal {
  private listeners: EventListener[] = [];

  constructor(
    private readonly catalog: Pick<Catalog, 'addEvent' | 'audit'>,
    private readonly clock: Clock,
    private readonly log: HubLog,
    private readonly broadcast: (u: Update) => void,
  ) {}

  /** Hear every event from now on; returns the way to stop hearing them. */
  listen(fn: EventListener): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  event(level: Level, kind: string, host: string | null, message: string, data: object = {}): EventView {
    const time = this.clock.iso();
    let e: EventView;
    try {
      e = this.catalog.addEvent(time, level, kind, host, message, data);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      // a full disk must not take the hub down: the event still reaches operators and alarms
      e = { id: 0, time, level, kind, host, message };
      this.fullDisk(err);
    }
    this.quietly(() => this.log(level === 'info' ? 'info' : 'warning', message, { kind, host }));
    this.broadcast({ type: 'event', event: e });
    for (const l of this.listeners) this.quietly(() => l(e, data));
    return e;
  }

  audit(actor: string, action: string, target: string | null, outcome: string, details: object = {}): void {
    // within an operator's request: the client's address and SSH_CLIENT go with it
    try {
      this.catalog.audit(this.clock.iso(), actor, action, target, outcome, stampCaller(details));
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.fullDisk(err);
    }
  }

  /** Once per full-disk spell: tell the operators and the alarm rules (store-full). */
  private fullSince = 0;
  private fullDisk(err: unknown): void {
    const now = this.clock.now();
    if (now - this.fullSince < 60_000) return;
    this.fullSince = now;
    const e: EventView = { id: 0, time: this.clock.iso(), level: 'critical', kind: 'store.full', host: null, message: `the data directory is full: ${(err as Error).message}` };
    this.broadcast({ type: 'event', event: e });
    for (const l of this.listeners) this.quietly(() => l(e, {}));
  }

  /** Run `fn`; a full disk while doing it is not worth dying for. */
  private quietly(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
    }
  }
}
