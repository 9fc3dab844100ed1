// What the agent tells the hub about its host besides backups: resource samples every few
// seconds, answers to link pings, and the tail of its own log file when asked.
import fs from 'node:fs';
import type { HubMessageOf } from '../src/protocol/agent.js';
import { MetricsSampler } from './metrics.js';

const DEFAULT_INTERVAL_MS = 5000;

export type InspectionMessage = HubMessageOf<'ping'> | HubMessageOf<'watch'> | HubMessageOf<'logs.get'>;

export interface InspectionOptions {
  /** the agent's log file, sent (its tail) when the hub asks; null = none */
  logFile: string | null;
  /** sampling interval set locally (0 = off); null = the hub's (5 s until it says) */
  intervalMs: number | null;
  send(msg: object): void;
}

/** The last `maxBytes` of a file, starting at a line boundary when cut. */
export function logTail(file: string | null, maxBytes: number): { data: Buffer; size: number; truncated: boolean } {
  if (!file) return { data: Buffer.alloc(0), size: 0, truncated: false };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { data: Buffer.alloc(0), size: 0, truncated: false };
  }
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    if (len === size) return { data: buf, size, truncated: false };
    const nl = buf.indexOf(10);
    return { data: nl >= 0 ? buf.subarray(nl + 1) : buf, size, truncated: true };
  } finally {
    fs.closeSync(fd);
  }
}

export class AgentInspection {
  private readonly sampler = new MetricsSampler();
  private timer: NodeJS.Timeout | null = null;
  private intervalMs: number;

  constructor(private readonly o: InspectionOptions) {
    this.intervalMs = o.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  /** Begin sampling (called once the hub welcomed us). */
  start(): void {
    this.stop();
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => this.sendSample(), this.intervalMs);
    setTimeout(() => this.sendSample(), 100).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sendSample(): void {
    try {
      this.o.send(this.sampler.sample());
    } catch {
      // a failed sample is skipped; the next one comes in a few seconds
    }
  }

  handle(m: InspectionMessage): void {
    switch (m.type) {
      case 'ping':
        this.o.send({ type: 'pong', id: m.id, time: m.time });
        return;
      case 'watch': {
        this.sampler.processes = [...new Set(m.processes)];
        if (this.o.intervalMs !== null) return; // set locally: the agent's own choice wins
        const changed = m.intervalMs !== this.intervalMs;
        this.intervalMs = m.intervalMs;
        if (changed || !this.timer) this.start();
        return;
      }
      case 'logs.get': {
        const t = logTail(this.o.logFile, m.maxBytes);
        this.o.send({ type: 'logs', requestId: m.requestId, data: t.data.toString('base64'), size: t.size, truncated: t.truncated });
        return;
      }
    }
  }
}
