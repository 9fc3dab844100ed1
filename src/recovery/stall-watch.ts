// The watchdog of a recovery step: the step's signal is aborted when its progress has not
// moved for `stallMs`, and the step ends failed with one line saying so, even when what it
// waits on (a hung write) never settles. Progress that reached the total is left alone: what
// remains (fsync, conversion, rename) is local and ends.
export interface StallWatch {
  signal: AbortSignal;
  /** progress moved */
  touch(done: number, total: number): void;
  /** settles `work`, or rejects with the watchdog's one line when it fires first */
  guard<T>(work: Promise<T>): Promise<T>;
}

export function stallWatch(parent: AbortSignal, stallMs: number | undefined, now: () => number, what: string): StallWatch {
  const abort = new AbortController();
  const onParent = () => abort.abort(parent.reason);
  parent.addEventListener('abort', onParent, { once: true });
  let movedAt = now();
  let finishing = false;
  let fire: ((e: Error) => void) | null = null;
  const timer = stallMs
    ? setInterval(() => {
        if (finishing || now() - movedAt < stallMs) return;
        const e = new Error(`${what}: no progress for ${Math.round((now() - movedAt) / 1000)} s (watchdog: maintenance.stall_timeout ${Math.round(stallMs / 1000)} s)`);
        abort.abort(e);
        fire?.(e);
      }, Math.min(1000, stallMs))
    : null;
  timer?.unref();
  return {
    signal: abort.signal,
    touch(done, total) {
      movedAt = now();
      finishing = total > 0 && done >= total;
    },
    async guard<T>(work: Promise<T>): Promise<T> {
      try {
        return await new Promise<T>((resolve, reject) => {
          fire = reject;
          work.then(resolve, reject);
        });
      } finally {
        if (timer) clearInterval(timer);
        parent.removeEventListener('abort', onParent);
      }
    },
  };
}
