// The failover wizard: the pre-check gates first (each pass/fail with its detail), then
// the operator types the host name to confirm (on a qemu target, i first toggles instant
// recovery, shown above the prompt and in it) — no single key starts a failover, and a
// read-only cockpit cannot open this at all — then the live step checklist with start
// times and the RTO timer, and the takeover report id at the end. The pre-check is asked
// by the view's feed (below); the view only reacts to its arrival.
import React from 'react';
import { Box, Text } from 'ink';
import type { FailoverPrecheck } from '../../protocol/operator.js';
import type { Action } from '../keymap.js';
import { RunChecklist } from '../components/RunChecklist.js';
import { fit } from '../components/format.js';
import { READONLY_MESSAGE, useCockpit } from '../hooks/useCockpit.js';
import { useTypedStart } from '../hooks/useTypedStart.js';
import { useTheme } from '../theme.js';
import { forecastText } from '../render/runModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle } from './ViewTitle.js';
import { instantLine, instantParam, instantSuffix, toggleInstant } from './instantOption.js';

function Gates({ precheck, instant, width, height }: { precheck: FailoverPrecheck; instant: boolean; width: number; height: number }): React.ReactElement {
  const theme = useTheme();
  const blocked = precheck.gates.filter((g) => !g.ok && g.blocking);
  const option = instantLine(precheck.target, instant);
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <Text bold wrap="truncate">{' Pre-check gates'}</Text>
      {precheck.gates.map((g) => (
        <Text key={g.name} wrap="truncate">
          <Text color={theme.color(g.ok ? 'ok' : g.blocking ? 'bad' : 'warn')}>{`  ${g.ok ? '✓ pass' : g.blocking ? '✕ FAIL' : '! warn'} ${fit(g.name, 9)}`}</Text>
          {` ${g.detail}`}
        </Text>
      ))}
      <Text wrap="truncate" dimColor>{` ${forecastText(precheck.forecast, precheck.host.rtoSeconds)} · images to ${precheck.target.dir} · switch ${precheck.switchHook ?? 'none configured'}`}</Text>
      {option ? <Text wrap="truncate" bold={instant} color={theme.color(instant ? 'accent' : undefined)}>{` ${option}`}</Text> : null}
      {(precheck.notes ?? []).map((n) => (
        <Text key={n} wrap="truncate" color={theme.color('warn')}>{` ${n}`}</Text>
      ))}
      <Text wrap="truncate" bold color={theme.color(precheck.ready ? 'warn' : 'bad')}>
        {precheck.ready
          ? ` ready: type ${precheck.host.host} at the prompt to fail over (⏎ asks again, esc leaves)`
          : ` blocked by ${blocked.map((g) => g.name).join(', ')}: the failover cannot start`}
      </Text>
    </Box>
  );
}

export function FailoverView({ view, width, height, ui, setUi }: ViewProps<{ kind: 'failover'; host: string }>): React.ReactElement {
  const cockpit = useCockpit();
  const theme = useTheme();
  const { precheck, run, now } = useTypedStart<FailoverPrecheck>('failover', view.host, (s) => s.prechecks, { ui, setUi }, {
    label: () => instantSuffix(ui.instant),
    params: () => instantParam(ui.instant),
    onAction: (action: Action): boolean => action === 'instant' && (toggleInstant(cockpit, cockpit.state().prechecks[view.host]?.target ?? null, ui, setUi, '⏎ asks for the host name'), true),
  });

  if (cockpit.readonly) return <Box height={height}><Text color={theme.color('bad')}>{` ${READONLY_MESSAGE}: failover is not available`}</Text></Box>;
  if (run) {
    const done = run.state !== 'running';
    return (
      <Box flexDirection="column" width={width} height={height}>
        <ViewTitle title={`Failover ${view.host} · run ${run.id}`} details={[`point ${run.pointSpec}`, `→ ${run.target.dir}`, run.instant ? 'instant recovery' : '', run.operator.user]} />
        <RunChecklist run={run} now={now} width={width} height={height - (done ? 2 : 1)} />
        {done ? (
          <Text bold wrap="truncate" color={theme.color(run.state === 'completed' ? 'ok' : 'bad')}>
            {` takeover ${run.state}${run.error ? `: ${run.error}` : ''} · report ${run.id} (:reports)`}
          </Text>
        ) : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`Failover ${view.host}`} details={['pre-check', 'nothing starts until the host name is typed']} />
      {precheck ? <Gates precheck={precheck} instant={ui.instant} width={width} height={height - 1} /> : <Text dimColor>{' running the pre-check…'}</Text>}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { failover: { host: string } }
}

export const failoverView: ViewDef<'failover'> = {
  title: (v) => `Failover ${v.host}`,
  keys: {
    title: 'Failover wizard',
    bindings: [
      { keys: ['enter'], action: 'start', help: 'type the host name to start the failover', short: 'confirm', mutating: true },
      { keys: ['i'], action: 'instant', help: 'instant recovery on/off (qemu targets): boot from the point, restore behind', short: 'instant', mutating: true },
    ],
  },
  mutating: true,
  command: { name: 'failover', aliases: [], arg: { name: 'HOST', optional: false }, help: 'failover wizard (not when read-only)', open: ([host]) => ({ kind: 'failover', host: host! }) },
  feeds: [{
    key: (v, ui) => (ui.runId === null ? v.host : ''),
    fetch: (c, v, ui) => (ui.runId !== null ? null : c.call('failover.precheck', { host: v.host }).then((precheck) => [{ type: 'failover.precheck', host: v.host, precheck }])),
  }],
  component: FailoverView,
};
