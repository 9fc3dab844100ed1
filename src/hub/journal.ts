// The hub's journal: every event is stored, logged, sent to operators and handed to its
// listeners (the alarm rules); audit entries are stored with the hub's time.
import type { Catalog } from '../catalog/catalog.js';
import type { EventView, Level, Update } from '../protocol/operator.js';
import { stampCaller } from './caller.js';
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
    const e = this.catalog.addEvent(this.clock.iso(), level, kind, host, message, data);
    this.log(level === 'info' ? 'info' : 'warning', message, { kind, host });
    this.broadcast({ type: 'event', event: e });
    for (const l of this.listeners) l(e, data);
    return e;
  }

  audit(actor: string, action: string, target: string | null, outcome: string, details: object = {}): void {
    // within an operator's request: the client's address and SSH_CLIENT go with it
    this.catalog.audit(this.clock.iso(), actor, action, target, outcome, stampCaller(details));
  }
}
