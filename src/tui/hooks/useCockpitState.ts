// Views read the store through this hook. All views share one throttled feed, so the
// whole screen re-renders at most once per interval (4/s by default) however fast
// updates arrive, and not at all when nothing arrives.
import { createContext, useContext, useRef, useSyncExternalStore } from 'react';
import { CockpitStore, type CockpitState } from '../store.js';

export const RENDER_INTERVAL_MS = 250;

export class ThrottledFeed {
  private snapshot: CockpitState;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(private readonly store: CockpitStore, private readonly intervalMs = RENDER_INTERVAL_MS) {
    this.snapshot = store.getState();
    this.unsubscribe = store.subscribe(() => this.schedule());
  }

  readonly getSnapshot = (): CockpitState => this.snapshot;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  };

  dispose(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.last + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = null;
    this.last = Date.now();
    const next = this.store.getState();
    if (next === this.snapshot) return;
    this.snapshot = next;
    for (const l of [...this.listeners]) l();
  }
}

export const FeedContext = createContext<ThrottledFeed | null>(null);

/**
 * A slice of the cockpit state. The selector must return a part of the state (or a
 * primitive), not a new object: derive with useMemo in the view. With `same`, a new slice
 * that is the same as the one last rendered for what the view shows keeps the old one:
 * the view does not re-render, and Ink does not redraw a screen that would not change
 * (a full frame costs ~10 ms of CPU however little of it changed).
 */
export function useCockpitState<T>(select: (s: CockpitState) => T, same?: (rendered: T, next: T) => boolean): T {
  const feed = useContext(FeedContext);
  if (!feed) throw new Error('useCockpitState outside of the cockpit');
  const rendered = useRef<{ value: T } | null>(null);
  const value = useSyncExternalStore(feed.subscribe, () => {
    const next = select(feed.getSnapshot());
    const last = rendered.current;
    return last && same && last.value !== next && same(last.value, next) ? last.value : next;
  });
  rendered.current = { value };
  return value;
}
