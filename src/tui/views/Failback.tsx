// The failback wizard (B on a failed-over host): the pre-check first — the source agent, the
// DR images, the blocks that differ and the bytes to send back — then the operator types the
// host name to confirm (no single key starts a failback; a read-only cockpit cannot open
// this), then the live step checklist, and the failback report id at the end.
import React, { useEffect, useRef } from 'react';
import { Box, Text } from 'ink';
import type { FailbackPrecheck } from '../../protocol/operator.js';
import { RunChecklist } from '../components/RunChecklist.js';
import { fit, formatBytes, formatDuration } from '../components/format.js';
import { READONLY_MESSAGE, useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { useNow } from '../hooks/useNow.js';
import { useTheme } from '../theme.js';
import { failoverRefusal } from './Failover.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle } from './ViewTitle.js';

function Precheck({ precheck, width, height }: { precheck: FailbackPrecheck; width: number; height: number }): React.ReactElement {
  const theme = useTheme();
  const blocked = precheck.gates.filter((g) => !g.ok && g.blocking);
  const bytes = precheck.bytesToSend === null ? '?' : formatBytes(precheck.bytesToSend);
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <Text bold wrap="truncate">{' Pre-check'}</Text>
      {precheck.gates.map((g, i) => (
        <Text key={`${g.name}-${i}`} wrap="truncate">
          <Text color={theme.color(g.ok ? 'ok' : g.blocking ? 'bad' : 'warn')}>{`  ${g.ok ? '✓ pass' : g.blocking ? '✕ FAIL' : '! warn'} ${fit(g.name, 11)}`}</Text>
          {` ${g.detail}`}
        </Text>
      ))}
      {precheck.volumes.map((v) => (
        <Text key={v.volume} wrap="truncate">{`  ${fit(v.volume, 12)} ${v.differingBlocks ?? '?'} block(s) differ · ${v.bytes === null ? '?' : formatBytes(v.bytes)} to send back`}</Text>
      ))}
      <Text wrap="truncate" dimColor>{` ${bytes} to send${precheck.forecastSeconds === null ? '' : ` (about ${formatDuration(precheck.forecastSeconds)})`} · from failover run ${precheck.failoverRun ?? '-'} · switch ${precheck.switchHook ?? 'none configured'}`}</Text>
      <Text wrap="truncate" bold color={theme.color(precheck.ready ? 'warn' : 'bad')}>
        {precheck.ready
          ? ` ready: type ${precheck.host} at the prompt to fail back (⏎ asks again, esc leaves)`
          : ` blocked by ${blocked.map((g) => g.name).join(', ')}: the failback cannot start`}
      </Text>
    </Box>
  );
}

export function FailbackView({ view, width, height, ui, setUi }: ViewProps<{ kind: 'failback'; host: string }>): React.ReactElement {
  const cockpit = useCockpit();
  const theme = useTheme();
  const runs = useCockpitState((s) => s.runs);
  const run = ui.runId === null ? undefined : runs.find((r) => r.id === ui.runId);
  const now = useNow(run?.state === 'running' ? 1_000 : 60_000);
  // only a pre-check asked by this opening counts: an older one may no longer hold
  const before = useRef(cockpit.state().failbackPrechecks[view.host]);
  const precheck = useCockpitState((s) => (s.failbackPrechecks[view.host] === before.current ? undefined : s.failbackPrechecks[view.host])) ?? null;

  function askHostName(p: FailbackPrecheck): void {
    if (!p.ready) { cockpit.notify(`failback of ${view.host} blocked by its pre-check`, 'bad'); return; }
    cockpit.ask(`FAILBACK ${view.host}: type the host name to confirm`, '', (typed) => {
      const refusal = failoverRefusal(view.host, typed);
      if (refusal) { cockpit.notify(refusal, 'bad'); return; }
      void cockpit.call('failback.start', { host: view.host, confirm: typed }, { mutating: true }).then((r) => {
        if (!r) return;
        cockpit.record({ type: 'run', run: r });
        setUi({ runId: r.id });
        cockpit.notify(`failback ${r.id} of ${view.host} started`, 'ok');
      });
    });
  }

  const asked = useRef(false);
  useEffect(() => {
    if (cockpit.readonly || ui.runId !== null || !precheck || asked.current) return;
    asked.current = true;
    if (precheck.ready) askHostName(precheck);
  }, [precheck]);

  useViewActions((action) => {
    if (action !== 'start') return false;
    if (ui.runId !== null) cockpit.notify(`failback ${ui.runId} already started`);
    else if (!precheck) cockpit.notify('waiting for the pre-check…');
    else askHostName(precheck);
    return true;
  });

  if (cockpit.readonly) return <Box height={height}><Text color={theme.color('bad')}>{` ${READONLY_MESSAGE}: failback is not available`}</Text></Box>;
  if (run) {
    const done = run.state !== 'running';
    return (
      <Box flexDirection="column" width={width} height={height}>
        <ViewTitle title={`Failback ${view.host} · run ${run.id}`} details={[run.pointSpec, `from ${run.target.dir}`, run.operator.user]} />
        <RunChecklist run={run} now={now} width={width} height={height - (done ? 2 : 1)} />
        {done ? (
          <Text bold wrap="truncate" color={theme.color(run.state === 'completed' ? 'ok' : 'bad')}>
            {` failback ${run.state}${run.error ? `: ${run.error}; ${view.host} stays failed over` : `: ${view.host} is home`} · report ${run.id} (:reports)`}
          </Text>
        ) : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`Failback ${view.host}`} details={['pre-check', 'nothing starts until the host name is typed']} />
      {precheck ? <Precheck precheck={precheck} width={width} height={height - 1} /> : <Text dimColor>{' running the pre-check (hashing the source and the DR image)…'}</Text>}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { failback: { host: string } }
}

export const failbackView: ViewDef<'failback'> = {
  title: (v) => `Failback ${v.host}`,
  keys: { title: 'Failback wizard', bindings: [{ keys: ['enter'], action: 'start', help: 'type the host name to start the failback', short: 'confirm', mutating: true }] },
  mutating: true,
  command: { name: 'failback', aliases: [], arg: { name: 'HOST', optional: false }, help: 'failback wizard of a failed-over host (not when read-only)', open: ([host]) => ({ kind: 'failback', host: host! }) },
  feeds: [{
    key: (v, ui) => (ui.runId === null ? v.host : ''),
    fetch: (c, v, ui) => (ui.runId !== null ? null : c.call('failback.precheck', { host: v.host }).then((precheck) => [{ type: 'failback.precheck', host: v.host, precheck }])),
  }],
  component: FailbackView,
};
