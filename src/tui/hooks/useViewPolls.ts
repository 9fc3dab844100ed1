// What the hub does not push, asked only while someone looks: each view declares its
// feeds in its ViewDef (schedules every 10 s and soon after a job changes, the daily
// inspection, reports, the wizards' forecasts and pre-checks); this runs the top view's.
import { useEffect, useRef } from 'react';
import type { CockpitClient, ConnectionState } from '../client.js';
import type { ViewKind, ViewRef } from '../route.js';
import type { CockpitStore } from '../store.js';
import { viewDef } from '../views/registry.js';
import type { ViewFeed } from '../views/viewDef.js';
import type { ViewUi } from '../views/types.js';

/** how soon after a followed part of the state changes the feed is asked again */
const FOLLOW_REFRESH_MS = 1_000;

interface Shown {
  id: number;
  view: ViewRef;
  ui: ViewUi;
}

function startFeed(feed: ViewFeed<ViewKind>, client: CockpitClient, store: CockpitStore, shown: Shown, onError: (message: string) => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let reported = false;
  const run = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    const asked = feed.fetch(client, shown.view, shown.ui);
    if (!asked) return;
    asked.then(
      (updates) => { if (!stopped) for (const u of updates) store.apply(u); },
      (e: unknown) => {
        // a hub without the method (or a failing one): say so once, keep trying quietly
        if (!stopped && !reported && !feed.quiet) onError(e instanceof Error ? e.message : String(e));
        reported = true;
      },
    ).finally(() => { if (!stopped && !timer && feed.every !== undefined) timer = setTimeout(run, feed.every); });
  };
  run();
  const follows = feed.follows;
  let seen = follows?.(store.getState());
  const off = follows ? store.subscribe(() => {
    const now = follows(store.getState());
    if (now === seen) return;
    seen = now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, FOLLOW_REFRESH_MS);
  }) : () => undefined;
  return () => { stopped = true; off(); if (timer) clearTimeout(timer); };
}

/** Runs the feeds of the view on top while connected; a feed whose key changes is asked again. */
export function useViewPolls(client: CockpitClient, store: CockpitStore, shown: Shown, connection: ConnectionState, onError: (message: string) => void): void {
  const running = useRef(new Map<string, { key: string; stop: () => void }>());
  const feeds = viewDef(shown.view).feeds ?? [];
  const keys = feeds.map((f) => f.key?.(shown.view, shown.ui) ?? '');
  const signature = `${shown.id}\u0001${connection}\u0001${keys.join('\u0001')}`;
  useEffect(() => {
    const live = running.current;
    const wanted = new Set<string>();
    if (connection === 'connected') {
      feeds.forEach((feed, i) => {
        const slot = `${shown.id}/${i}`;
        wanted.add(slot);
        const had = live.get(slot);
        if (had?.key === keys[i]) return;
        had?.stop();
        live.set(slot, { key: keys[i]!, stop: startFeed(feed, client, store, shown, onError) });
      });
    }
    for (const [slot, r] of live) if (!wanted.has(slot)) { r.stop(); live.delete(slot); }
  }, [client, store, signature, onError]);
  useEffect(() => () => {
    for (const r of running.current.values()) r.stop();
    running.current.clear();
  }, []);
}
