// The start of a failover or failback wizard: the pre-check asked by this opening, then the
// operator types the host name to confirm (asked once when a ready pre-check arrives, and
// again on ⏎), then the run it started, followed live.
import { useEffect, useRef } from 'react';
import type { RunView } from '../../protocol/operator.js';
import type { Action } from '../keymap.js';
import type { CockpitState } from '../store.js';
import type { ViewProps } from '../views/types.js';
import { useCockpit, useViewActions } from './useCockpit.js';
import { useCockpitState } from './useCockpitState.js';
import { useNow } from './useNow.js';

export function typedNameRefusal(host: string, typed: string): string | null {
  return typed === host ? null : `refused: "${typed}" is not "${host}" — nothing started`;
}

export interface TypedStart<P> {
  precheck: P | null;
  run: RunView | undefined;
  now: number;
}

export function useTypedStart<P extends { ready: boolean }>(
  verb: 'failover' | 'failback',
  host: string,
  prechecks: (s: CockpitState) => Record<string, P | undefined>,
  { ui, setUi }: Pick<ViewProps, 'ui' | 'setUi'>,
  /** the options the wizard offers (failover: instant recovery): in the prompt, the start and their keys */
  options: { label: () => string; params: () => { instant?: true }; onAction: (action: Action) => boolean } = { label: () => '', params: () => ({}), onAction: () => false },
): TypedStart<P> {
  const cockpit = useCockpit();
  const runs = useCockpitState((s) => s.runs);
  const run = ui.runId === null ? undefined : runs.find((r) => r.id === ui.runId);
  const now = useNow(run?.state === 'running' ? 1_000 : 60_000);
  // only a pre-check asked by this opening counts: an older one may no longer hold
  const before = useRef(prechecks(cockpit.state())[host]);
  const precheck = useCockpitState((s) => (prechecks(s)[host] === before.current ? undefined : prechecks(s)[host])) ?? null;

  function askHostName(p: P): void {
    if (!p.ready) { cockpit.notify(`${verb} of ${host} blocked by its pre-check`, 'bad'); return; }
    cockpit.ask(`${verb.toUpperCase()} ${host}${options.label()}: type the host name to confirm`, '', (typed) => {
      const refusal = typedNameRefusal(host, typed);
      if (refusal) { cockpit.notify(refusal, 'bad'); return; }
      void cockpit.call(`${verb}.start`, { host, confirm: typed, ...options.params() }, { mutating: true }).then((r) => {
        if (!r) return;
        cockpit.record({ type: 'run', run: r });
        setUi({ runId: r.id });
        cockpit.notify(`${verb} ${r.id} of ${host} started`, 'ok');
      });
    });
  }

  // the pre-check that arrives while no run started asks for the host name, once
  const asked = useRef(false);
  useEffect(() => {
    if (cockpit.readonly || ui.runId !== null || !precheck || asked.current) return;
    asked.current = true;
    if (precheck.ready) askHostName(precheck);
  }, [precheck]);

  useViewActions((action) => {
    if (options.onAction(action)) return true;
    if (action !== 'start') return false;
    if (ui.runId !== null) cockpit.notify(`${verb} ${ui.runId} already started`);
    else if (!precheck) cockpit.notify('waiting for the pre-check…');
    else askHostName(precheck);
    return true;
  });

  return { precheck, run, now };
}
