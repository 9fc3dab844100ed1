// Fake ports for in-process tests of the hub's services: a clock moved by hand, a journal and
// a feed that record, agent links that record what they were told; a real catalog in a temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../../../src/catalog/catalog.js';
import type { EventView, Level, Update } from '../../../src/protocol/operator.js';
import type { LogTail } from '../../../src/hub/agent-logs.js';
import type { AgentLink, AgentLinks, Broadcaster, Clock, Journal, LinkJob } from '../../../src/hub/ports.js';

export class ManualClock implements Clock {
  constructor(public t: number) {}
  now = (): number => this.t;
  iso = (): string => new Date(this.t).toISOString();
  /** moved by hand like the wall clock: these tests step time on purpose */
  elapsed = (): number => this.t;
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

export class RecordingJournal implements Journal {
  readonly events: { level: Level; kind: string; host: string | null; message: string; data: object }[] = [];
  readonly audits: { actor: string; action: string; target: string | null; outcome: string }[] = [];
  private id = 0;
  constructor(private readonly clock: Clock) {}
  event(level: Level, kind: string, host: string | null, message: string, data: object = {}): EventView {
    this.events.push({ level, kind, host, message, data });
    return { id: ++this.id, time: this.clock.iso(), level, kind, host, message };
  }
  audit(actor: string, action: string, target: string | null, outcome: string): void {
    this.audits.push({ actor, action, target, outcome });
  }
  kinds(): string[] {
    return this.events.map((e) => e.kind);
  }
}

export class RecordingFeed implements Broadcaster {
  readonly updates: Update[] = [];
  broadcast(u: Update): void {
    this.updates.push(u);
  }
  pushHost(): void {}
  pushHub(): void {}
}

/** Links by host, all at the primary site. */
export class FakeLinks extends Map<string, FakeLink> implements AgentLinks {
  site(host: string, site: 'primary' | 'dr'): FakeLink | undefined {
    return site === 'primary' ? this.get(host) : undefined;
  }
  anyReady(host: string): boolean {
    return this.get(host)?.ready === true;
  }
}

export class FakeLink implements AgentLink {
  readonly started: LinkJob[] = [];
  readonly aborted: string[] = [];
  readonly sent: object[] = [];
  closed = false;
  constructor(
    readonly host: string,
    public ready = true,
  ) {}
  send(msg: object): void {
    this.sent.push(msg);
  }
  close(): void {
    this.closed = true;
  }
  startJob(job: LinkJob): void {
    this.started.push(job);
  }
  abortJob(reason: string): void {
    this.aborted.push(reason);
  }
  fetchLogs(): Promise<LogTail> {
    return Promise.reject(new Error('no logs in a fake link'));
  }
  readonly volumes = {
    hashes: () => Promise.reject(new Error('no volumes in a fake link')),
    hashesOf: () => Promise.reject(new Error('no volumes in a fake link')),
    changes: () => Promise.reject(new Error('no volumes in a fake link')),
    write: () => Promise.reject(new Error('no volumes in a fake link')),
  };
}

/** A catalog in a fresh temp dir with the named hosts; close() removes it. */
export function tempCatalog(hosts: string[], now: string): { catalog: Catalog; ids: Map<string, number>; close(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-hub-unit-'));
  const catalog = new Catalog(path.join(dir, 'catalog.db'));
  const ids = new Map(hosts.map((h) => [h, catalog.addHost(h, h.startsWith('web') ? ['web'] : [], null, 'x', now).id]));
  return {
    catalog,
    ids,
    close: () => {
      catalog.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Let settled promises run their continuations (no timers involved). */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
