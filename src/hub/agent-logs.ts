// Fetching an agent's log tail over its connection: request ids, timeouts, and failing
// every pending request when the link drops.
import type { AgentMessageOf } from '../protocol/agent.js';

export const LOG_REQUEST_TIMEOUT_MS = 10_000;

export interface LogTail {
  data: Buffer;
  size: number;
  truncated: boolean;
}

export class LogRequests {
  private next = 1;
  private pending = new Map<number, { resolve: (t: LogTail) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  /** Send a `logs.get` with `send` and wait for the matching reply. */
  request(send: (msg: object) => void, maxBytes: number, timeoutMs = LOG_REQUEST_TIMEOUT_MS): Promise<LogTail> {
    const requestId = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`no log reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      send({ type: 'logs.get', requestId, maxBytes });
    });
  }

  /** A reply arrived; false when nobody asked for it. */
  settle(m: AgentMessageOf<'logs'>): boolean {
    const p = this.pending.get(m.requestId);
    if (!p) return false;
    this.pending.delete(m.requestId);
    clearTimeout(p.timer);
    p.resolve({ data: m.data, size: m.size, truncated: m.truncated });
    return true;
  }

  failAll(reason: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }
}
