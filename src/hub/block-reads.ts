// Repair over an agent's link: ask for blocks of one of its volumes (`blocks.get`) and take
// the block frames that answer it (volume index READ_FRAME_VOLUME_INDEX, job id = request
// id) until `blocks.sent`. Request ids, a timeout, and failing every pending request when
// the link drops.
import type { AgentMessageOf } from '../protocol/agent.js';
import { encodeIndices } from '../protocol/agent.js';
import type { BlockFrame } from '../protocol/frames.js';

export const BLOCK_READ_TIMEOUT_MS = 5 * 60_000;

/** What repair asks of one agent. */
export interface AgentBlockReads {
  /** Blocks of `volume` as they are now; `onBlock` gets each frame at once (its payload is not kept). Resolves with the count sent. */
  read(volume: string, indices: readonly number[], onBlock: (f: BlockFrame) => void, signal?: AbortSignal): Promise<number>;
}

interface Pending {
  onBlock: (f: BlockFrame) => void;
  resolve: (n: number) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class BlockReadRequests implements AgentBlockReads {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly send: (msg: object) => void,
    private readonly timeoutMs = BLOCK_READ_TIMEOUT_MS,
  ) {}

  read(volume: string, indices: readonly number[], onBlock: (f: BlockFrame) => void, signal?: AbortSignal): Promise<number> {
    const requestId = this.next++;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`no answer to a read of ${indices.length} block(s) of ${volume} within ${Math.round(this.timeoutMs / 1000)} s`));
      }, this.timeoutMs);
      this.pending.set(requestId, { onBlock, resolve, reject, timer });
      signal?.addEventListener('abort', () => this.drop(requestId, new Error('block read aborted')), { once: true });
      this.send({ type: 'blocks.get', requestId, volume, indices: encodeIndices([...indices]) });
    });
  }

  /** A frame answering a read; one of a read no longer waited for is dropped. */
  frame(f: BlockFrame): void {
    this.pending.get(f.jobId)?.onBlock(f);
  }

  settle(m: AgentMessageOf<'blocks.sent'>): void {
    const p = this.pending.get(m.requestId);
    if (!p) return;
    this.pending.delete(m.requestId);
    clearTimeout(p.timer);
    if (m.error && m.count === 0) p.reject(new Error(`agent: ${m.error}`));
    else p.resolve(m.count);
  }

  failAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.drop(id, new Error(reason));
  }

  private drop(id: number, e: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(e);
  }
}
