// The drill wizard: choose the point (default: the newest verified), see the RTO forecast
// from drill.preview (on a qemu target, i toggles instant recovery), confirm with y, then
// follow the live step checklist (a boot step shows "booting… 3s") and RTO timer;
// at the end record a verdict (p pass / f fail, then notes) and read the report id. The
// past runs and the forecast are asked by the view's feeds (below); the view reacts.
import React, { useEffect, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import type { DrillPreview, PointView, RunView, Verdict } from '../../protocol/operator.js';
import { RunChecklist } from '../components/RunChecklist.js';
import { fit, formatBytes, formatDuration, formatTime } from '../components/format.js';
import { useCockpit, useViewActions, type Cockpit } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { useNow } from '../hooks/useNow.js';
import { useTheme } from '../theme.js';
import { newestFirst } from './actions.js';
import { forecastText, strictestRto } from '../render/runModel.js';
import { drillPreviewKey } from '../store.js';
import type { ViewProps, ViewUi } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle } from './ViewTitle.js';
import { instantLine, instantParam, instantSuffix, toggleInstant } from './instantOption.js';

/** The points of the hosts, newest first, with drilled marks; opens on the newest verified. */
export function pickDrillPoint(cockpit: Cockpit, hosts: readonly string[], points: readonly PointView[], runs: readonly RunView[], onPick: (point: string) => void): void {
  const mine = newestFirst(points.filter((p) => hosts.includes(p.host)));
  const drilled = new Set(runs.filter((r) => r.kind === 'drill').flatMap((r) => r.hosts.flatMap((h) => h.points.map((p) => p.pointId))));
  const verified = mine.findIndex((p) => p.verifiedAt !== null);
  cockpit.pick({
    title: `Drill ${hosts.join(', ')}: choose the recovery point (others pinned to its time)`,
    columns: [
      { title: 'ID', width: 5, align: 'right' },
      { title: 'TIME', width: 16 },
      ...(hosts.length > 1 ? [{ title: 'HOST', width: 10 }] : []),
      { title: 'VOLUME', width: 10 },
      { title: 'TYPE', width: 5 },
      { title: 'SIZE', width: 9, align: 'right' as const },
      { title: 'VERIFIED', width: 8 },
      { title: 'DRILLED', width: 7 },
    ],
    rows: mine.map((p) => ({
      key: String(p.id),
      cells: [
        String(p.id), formatTime(p.time), ...(hosts.length > 1 ? [p.host] : []), p.volume, p.type === 'incremental' ? 'incr' : 'full',
        formatBytes(p.size), p.verifiedAt ? '✓' : '', drilled.has(p.id) ? '✓' : '',
      ],
    })),
    empty: `no recovery points of ${hosts.join(', ')} yet`,
    initial: verified < 0 ? 0 : verified,
    onPick: (row) => onPick(row.key),
  });
}

function PreviewPanel({ preview, instant, width, height }: { preview: DrillPreview; instant: boolean; width: number; height: number }): React.ReactElement {
  const theme = useTheme();
  const target = strictestRto(preview.hosts);
  const ok = target === null || preview.forecast.seconds <= target;
  const lines: React.ReactElement[] = [
    <Text key="f" wrap="truncate" bold color={theme.color(ok ? 'ok' : 'warn')}>{` ${forecastText(preview.forecast, target)}`}</Text>,
    <Text key="t" wrap="truncate" dimColor>{` restores ${formatBytes(preview.forecast.bytes)} to ${preview.target.dir} (${preview.target.format}) · artefacts kept ${formatDuration(preview.ttlSeconds)}`}</Text>,
  ];
  const option = instantLine(preview.target, instant);
  if (option) lines.push(<Text key="i" wrap="truncate" bold={instant} color={theme.color(instant ? 'accent' : undefined)}>{` ${option}`}</Text>);
  for (const h of preview.hosts) {
    lines.push(<Text key={`h${h.host}`} wrap="truncate" bold>{` ${h.host}`}<Text dimColor>{` · tier ${h.tier ?? '—'} · RTO ${h.rtoSeconds === null ? '—' : formatDuration(h.rtoSeconds)} · checks ${h.checks.join(', ') || 'digest'}`}</Text></Text>);
    for (const p of h.points) {
      lines.push(
        <Text key={`p${h.host}${p.volume}`} wrap="truncate">
          {`   ${fit(p.volume, 10)} point ${fit(String(p.pointId), 5)} ${formatTime(p.time)} ${fit(p.type === 'incremental' ? 'incr' : 'full', 5)} ${fit(formatBytes(p.size), 9, 'right')} `}
          <Text color={theme.color(p.verified ? 'ok' : 'warn')}>{p.verified ? 'verified' : 'not verified'}</Text>
        </Text>,
      );
    }
  }
  return <Box flexDirection="column" width={width} height={height} overflowY="hidden">{lines.slice(0, height)}</Box>;
}

function askVerdict(cockpit: Cockpit, run: RunView, verdict: Verdict): void {
  cockpit.ask(`drill ${run.id} verdict ${verdict} — notes (optional)`, '', (notes) => {
    void cockpit.call('drill.verdict', notes === '' ? { id: run.id, verdict } : { id: run.id, verdict, notes }, { mutating: true }).then((r) => {
      if (!r) return;
      cockpit.record({ type: 'run', run: r });
      cockpit.notify(`drill ${r.id}: verdict ${verdict} recorded · report ${r.id}`, 'ok');
    });
  }, { allowEmpty: true });
}

export function DrillView({ view, width, height, ui, setUi }: ViewProps<{ kind: 'drill'; hosts: readonly string[] }>): React.ReactElement {
  const cockpit = useCockpit();
  const theme = useTheme();
  const points = useCockpitState((s) => s.points);
  const runs = useCockpitState((s) => s.runs);
  const run = ui.runId === null ? undefined : runs.find((r) => r.id === ui.runId);
  const running = run?.state === 'running';
  const now = useNow(running ? 1_000 : 60_000);
  // only forecasts asked by this opening count: an older one may no longer hold
  const before = useRef(cockpit.state().previews);
  const preview = useCockpitState((s) => {
    const p = ui.point === null ? undefined : s.previews[drillPreviewKey(view.hosts, ui.point)];
    return p === undefined || (ui.point !== null && before.current[drillPreviewKey(view.hosts, ui.point)] === p) ? undefined : p;
  }) ?? null;
  const [starting, setStarting] = useState(false);
  const choose = (patch: (p: string) => Partial<ViewUi>): void => pickDrillPoint(cockpit, view.hosts, points, runs, (p) => setUi(patch(p)));

  // once the points and the past runs (for drilled marks) are in: the picker
  const ready = useCockpitState((s) => s.synced && s.runsListed);
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current || !ready) return;
    opened.current = true;
    if (ui.runId === null && ui.point === null) pickDrillPoint(cockpit, view.hosts, cockpit.state().points, cockpit.state().runs, (p) => setUi({ point: p }));
  }, [ready]);

  // the forecast for the chosen point, when it arrives: the y/n question, once per point
  const confirmed = useRef<string | null>(null);
  useEffect(() => {
    if (!preview || ui.runId !== null || confirmed.current === ui.point) return;
    confirmed.current = ui.point;
    confirmStart(preview);
  }, [preview]);

  function confirmStart(p: DrillPreview): void {
    const target = strictestRto(p.hosts);
    cockpit.confirm(`Start drill of ${view.hosts.join(', ')}${instantSuffix(ui.instant)}? ${forecastText(p.forecast, target)}`, () => {
      if (starting) return;
      setStarting(true);
      void cockpit.call('drill.start', { hosts: [...view.hosts], ...(ui.point ? { point: ui.point } : {}), ...instantParam(ui.instant) }, { mutating: true }).then((r) => {
        setStarting(false);
        if (!r) return;
        cockpit.record({ type: 'run', run: r });
        setUi({ runId: r.id });
        cockpit.notify(`drill ${r.id} started`, 'ok');
      });
    });
  }

  useViewActions((action) => {
    switch (action) {
      case 'start':
        if (ui.runId !== null) cockpit.notify(`drill ${ui.runId} already started`);
        else if (ui.point === null) choose((p) => ({ point: p }));
        else if (preview) confirmStart(preview);
        else cockpit.notify('waiting for the forecast…');
        return true;
      case 'instant':
        toggleInstant(cockpit, preview?.target ?? null, ui, setUi, 's starts (asks y/n)');
        return true;
      case 'pass':
      case 'fail':
        if (!run) cockpit.notify('no drill has run yet: s starts one');
        else if (run.state === 'running') cockpit.notify(`drill ${run.id} is still running: the verdict comes at the end`);
        else askVerdict(cockpit, run, action);
        return true;
      default:
        return false;
    }
  });

  const title = `Drill ${view.hosts.join(', ')}`;
  if (cockpit.readonly) return <Box height={height}><Text dimColor>{' read-only: drills cannot be started from this cockpit'}</Text></Box>;
  if (run) {
    const done = run.state !== 'running';
    const verdictLine = !done ? '' : run.verdictBy === 'operator'
      ? `verdict ${run.verdict} by the operator${run.notes ? `: ${run.notes}` : ''} · report ${run.id} (:reports)`
      : `steps ${run.state}${run.verdict ? `, checks say ${run.verdict}` : ''} · record the verdict: p pass · f fail · report ${run.id}`;
    return (
      <Box flexDirection="column" width={width} height={height}>
        <ViewTitle title={`${title} · run ${run.id}`} details={[`point ${run.pointSpec}`, `→ ${run.target.dir}`, run.instant ? 'instant recovery' : '', run.operator.user]} />
        <RunChecklist run={run} now={now} width={width} height={height - (done ? 2 : 1)} />
        {done ? (
          <Text wrap="truncate" bold color={theme.color(run.verdict === 'fail' || run.state === 'failed' ? 'bad' : run.verdict === 'pass' ? 'ok' : 'warn')}>{` ${verdictLine}`}</Text>
        ) : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={title} details={[ui.point === null ? 'choose a point (s)' : `point ${ui.point || 'latest verified'}`, starting ? 'starting…' : '']} />
      {preview ? <PreviewPanel preview={preview} instant={ui.instant} width={width} height={height - 2} />
        : <Text dimColor>{ui.point === null ? ' no point chosen: s opens the point picker' : ' asking the hub for the forecast…'}</Text>}
      {preview ? <Text dimColor wrap="truncate">{' s starts (asks y/n) · esc leaves'}</Text> : null}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { drill: { hosts: readonly string[] } }
}

export const drillView: ViewDef<'drill'> = {
  title: (v) => `Drill ${v.hosts.join(', ')}`,
  keys: {
    title: 'Drill wizard',
    bindings: [
      { keys: ['s'], action: 'start', help: 'start the drill (asks y/n)', short: 'start', mutating: true },
      { keys: ['i'], action: 'instant', help: 'instant recovery on/off (qemu targets): boot from the point, restore behind', short: 'instant', mutating: true },
      { keys: ['p'], action: 'pass', help: 'verdict: pass (then notes)', short: 'pass', mutating: true },
      { keys: ['f'], action: 'fail', help: 'verdict: fail (then notes)', short: 'fail', mutating: true },
    ],
  },
  mutating: true,
  command: {
    name: 'drill', aliases: [], arg: { name: 'HOST…', optional: false, many: true }, help: 'drill wizard (globs: web-*)',
    open: (hosts) => ({ kind: 'drill', hosts }),
  },
  feeds: [
    // a hub without runs.list: no drilled marks, the picker opens all the same
    { quiet: true, fetch: (c) => c.call('runs.list', { kind: 'drill' }).catch(() => []).then((runs) => [{ type: 'runs.list', runs }]) },
    {
      key: (_v, ui) => (ui.runId === null && ui.point !== null ? ui.point : '\u0000'),
      fetch: (c, v, ui) => (ui.runId !== null || ui.point === null ? null
        : c.call('drill.preview', { hosts: [...v.hosts], ...(ui.point ? { point: ui.point } : {}) })
          .then((preview) => [{ type: 'drill.preview', key: drillPreviewKey(v.hosts, ui.point!), preview }])),
    },
  ],
  component: DrillView,
};
