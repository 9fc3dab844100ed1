// The cockpit's root: providers, then the shell — header, the current view (or help, or
// a picker), the status line and the footer, sized to exactly rows-1 × columns so Ink
// never scrolls the alternate screen. All keys enter through one useInput here.
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { CockpitClient } from './client.js';
import { Footer } from './components/Footer.js';
import { Header } from './components/Header.js';
import { HelpOverlay, helpMaxOffset } from './components/HelpOverlay.js';
import { Picker } from './components/Picker.js';
import { CommandLine } from './components/CommandLine.js';
import { FilterLine } from './components/FilterLine.js';
import { AskLine, ConfirmLine, MessageLine } from './components/StatusLine.js';
import { useHostWatch } from './hooks/useHostWatch.js';
import { useViewPolls } from './hooks/useViewPolls.js';
import { CockpitContext, ViewActionsContext } from './hooks/useCockpit.js';
import { FeedContext, RENDER_INTERVAL_MS, ThrottledFeed, useCockpitState } from './hooks/useCockpitState.js';
import { ClockContext, type Clock } from './hooks/useNow.js';
import { useStatusMessage } from './hooks/useStatusMessage.js';
import { useTerminalSize } from './hooks/useTerminalSize.js';
import { splitKeys } from './input.js';
import { footerHints, viewScopes } from './keymap.js';
import type { ViewRef } from './route.js';
import { useShell, type Entry } from './shell.js';
import { CockpitStore, attachClient } from './store.js';
import { ThemeContext, colorsFromEnv, makeTheme } from './theme.js';
import { viewDef } from './views/registry.js';
import type { ViewUi } from './views/types.js';
import { filterDetail } from './views/ViewTitle.js';

export type ExitReason = 'quit' | 'lost';

export interface AppProps {
  client: CockpitClient;
  /** default: a new store fed from the client */
  store?: CockpitStore;
  readonly?: boolean;
  /** default: on unless NO_COLOR is set */
  colors?: boolean;
  clock?: Clock;
  /** fixed size (tests); default: the terminal's, following resizes */
  columns?: number;
  rows?: number;
  /** minimum time between re-renders caused by hub updates */
  throttleMs?: number;
  initialView?: ViewRef;
  onExit?: (reason: ExitReason) => void;
}

const HELP_HINTS = [{ keys: 'j/k', help: 'scroll' }, { keys: 'esc', help: 'close' }, { keys: 'q', help: 'quit' }];
const PICK_HINTS = [{ keys: '↑/↓', help: 'choose' }, { keys: '⏎', help: 'pick' }, { keys: 'esc', help: 'cancel' }];

/** How long "hub connection lost" stays on screen before the cockpit exits. */
export const LOST_EXIT_MS = 1_500;

export function App(props: AppProps): React.ReactElement {
  const store = useMemo(() => props.store ?? new CockpitStore(), [props.store]);
  const feed = useMemo(() => new ThrottledFeed(store, props.throttleMs ?? RENDER_INTERVAL_MS), [store, props.throttleMs]);
  useEffect(() => () => feed.dispose(), [feed]);
  const theme = useMemo(() => makeTheme(props.colors ?? colorsFromEnv()), [props.colors]);
  return (
    <ThemeContext.Provider value={theme}>
      <ClockContext.Provider value={props.clock ?? Date.now}>
        <FeedContext.Provider value={feed}>
          <Shell {...props} store={store} />
        </FeedContext.Provider>
      </ClockContext.Provider>
    </ThemeContext.Provider>
  );
}

function Shell(props: AppProps & { store: CockpitStore }): React.ReactElement {
  const { exit } = useApp();
  const size = useTerminalSize({ columns: props.columns, rows: props.rows });
  const [message, notify] = useStatusMessage();
  const readonly = props.readonly ?? false;
  const quit = (reason: ExitReason): void => {
    props.onExit?.(reason);
    exit();
  };
  const quitRef = useRef(quit);
  quitRef.current = quit;
  const width = size.columns;
  const bodyHeight = Math.max(1, size.rows - 4);
  const shell = useShell({
    client: props.client, store: props.store, readonly, notify, quit,
    initialView: props.initialView ?? { kind: 'overview' },
    helpMaxOffset: helpMaxOffset(readonly, width, bodyHeight),
  });
  const connection = useCockpitState((s) => s.connection);
  const hubName = useCockpitState((s) => s.hub?.name ?? null);
  const hostsTotal = useCockpitState((s) => s.hosts.length);
  const hostsConnected = useCockpitState((s) => s.hosts.reduce((n, h) => n + (h.link === 'connected' ? 1 : 0), 0));

  // only a host's own view shows its heatmaps and metrics; declared before attachClient, so the hub
  // knows it before the snapshot and leaves the other hosts' bitmaps out of it
  const watched = shell.state.stack[shell.state.stack.length - 1]!.view;
  useHostWatch(props.client, props.store, watched.kind === 'host' ? [watched.host] : [], connection);

  useEffect(() => attachClient(props.store, props.client, (e) => {
    notify(`subscribe failed: ${e instanceof Error ? e.message : String(e)}`, 'bad');
  }), [props.store, props.client, notify]);

  useEffect(() => {
    if (connection !== 'lost') return undefined;
    notify('hub connection lost', 'bad');
    const t = setTimeout(() => quitRef.current('lost'), LOST_EXIT_MS);
    return () => clearTimeout(t);
  }, [connection, notify]);

  useInput((input, key) => {
    for (const k of splitKeys(input, key)) shell.handleKey(k);
  });

  const { state } = shell;
  const top = state.stack[state.stack.length - 1]!;
  const pollFailed = useCallback((m: string) => notify(m, 'bad'), [notify]);
  useViewPolls(props.client, props.store, top, connection, pollFailed);
  const hostNames = props.store.getState().hosts.map((h) => h.name);
  let body: React.ReactElement;
  if (state.help) body = <HelpOverlay width={width} height={bodyHeight} readonly={readonly} offset={state.helpOffset} />;
  else if (state.pick) body = <Picker spec={state.pick.spec} selected={state.pick.selected} width={width} height={bodyHeight} />;
  else body = <CurrentView key={top.id} entry={top} width={width} height={bodyHeight} setUi={(patch) => shell.setUi(top.id, patch)} />;

  const p = state.prompt;
  let status: React.ReactElement;
  if (p?.kind === 'command') status = <CommandLine text={p.text} hostNames={hostNames} />;
  else if (p?.kind === 'filter') status = <FilterLine text={p.text} />;
  else if (p?.kind === 'confirm') status = <ConfirmLine question={p.question} />;
  else if (p?.kind === 'ask') status = <AskLine label={p.label} text={p.text} />;
  else if (message) status = <MessageLine text={message.text} tone={message.tone === 'info' ? undefined : message.tone} />;
  else if (top.ui.filter) status = <Text dimColor wrap="truncate">{`${filterDetail(top.ui.filter)} (esc clears)`}</Text>;
  else status = <Text> </Text>;

  const hints = useMemo(() => {
    if (state.help) return HELP_HINTS;
    if (state.pick) return PICK_HINTS;
    const all = footerHints([...viewScopes(top.view.kind), 'global'], readonly);
    return viewDef(top.view).filterable ? all : all.filter((h) => h.keys !== '/');
  }, [top.view.kind, readonly, state.help, state.pick]);
  return (
    <CockpitContext.Provider value={shell.cockpit}>
      <ViewActionsContext.Provider value={shell.viewActions}>
        <Box flexDirection="column" width={width} height={size.rows - 1} overflowY="hidden">
          <Header width={width} hubName={hubName} target={props.client.target} connection={connection}
            hostsConnected={hostsConnected} hostsTotal={hostsTotal} readonly={readonly} />
          <Box height={bodyHeight} flexDirection="column" overflowY="hidden">{body}</Box>
          <Box height={1}>{status}</Box>
          <Box height={1}><Footer hints={hints} width={width} /></Box>
        </Box>
      </ViewActionsContext.Provider>
    </CockpitContext.Provider>
  );
}

function CurrentView(props: { entry: Entry; width: number; height: number; setUi: (patch: Partial<ViewUi>) => void }): React.ReactElement {
  const { entry, width, height, setUi } = props;
  return React.createElement(viewDef(entry.view).component, { view: entry.view, width, height, ui: entry.ui, setUi });
}
