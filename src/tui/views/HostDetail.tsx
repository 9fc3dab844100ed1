// One host: a live changed-block heatmap per volume, its recovery points and tasks, and
// the actions b (backup now), f (full backup, asks y/n), r (restore: pick a point, then
// a target path), p (all its points).
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { HostView, JobView, PointView } from '../../protocol/operator.js';
import { Heatmap } from '../components/Heatmap.js';
import { progressBar } from '../components/ProgressBar.js';
import { ageSeconds, fit, formatAge, formatBytes, formatDuration, formatTime } from '../components/format.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { AGE_TICK_MS, useNow } from '../hooks/useNow.js';
import { useTheme, type Tone } from '../theme.js';
import { sparkline } from '../components/Sparkline.js';
import type { HostMetricsState } from '../store.js';
import { backupNow, fullBackup, newestFirst, openFailback, restoreFromHost } from './actions.js';
import { continuousText, linkText, linkTone, rpoStatus, rpoText, rpoTone } from '../render/hostModel.js';
import { shortType } from '../render/pointModel.js';
import { STATE_TONE, orderTasks, ratio, taskInfo } from '../render/taskModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle } from './ViewTitle.js';

function Summary({ host, now }: { host: HostView; now: number }): React.ReactElement {
  const theme = useTheme();
  const rpo = rpoStatus(host, now);
  const tier = host.tier === null ? 'no tier'
    : `tier ${host.tier} (RPO ${formatDuration(host.rpoSeconds ?? 0)}, RTO ${formatDuration(host.rtoSeconds ?? 0)})`;
  const seen = ageSeconds(host.lastSeen, now);
  const continuous = continuousText(host, now);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>{` ${host.name}`}</Text>
        {` · ${tier} · `}
        <Text color={theme.color(linkTone(host))}>{linkText(host)}</Text>
        {` · last point `}
        <Text color={theme.color(rpoTone(rpo))}>{rpoText(host, rpo)}</Text>
      </Text>
      <Text dimColor wrap="truncate">
        {` backlog ${formatBytes(host.backlogBytes)} · tags ${host.tags.join(',') || '—'} · ${agentText(host)} · seen ${seen === null ? 'never' : `${formatAge(seen)} ago`}`}
      </Text>
      {continuous ? <Text color={theme.color(rpoTone(rpo))} wrap="truncate">{` ${continuous}`}</Text> : null}
    </Box>
  );
}

/** 'agent 1.2.0'; with an agent at the DR site too, both: 'agents primary 1.2.0, DR 1.2.0 (serving)'. */
function agentText(host: HostView): string {
  const a = host.agents ?? [];
  if (!a.some((x) => x.site === 'dr')) return `agent ${host.agentVersion ?? '—'}`;
  return `agents ${a.map((x) => `${x.site === 'dr' ? 'DR' : 'primary'} ${x.version ?? '—'}${x.serving ? ' (serving)' : ''}`).join(', ')}`;
}

function Volumes({ host, width, height }: { host: HostView; width: number; height: number }): React.ReactElement {
  const vols = host.volumes;
  if (vols.length === 0) return <Box height={height}><Text dimColor> no volumes reported by the agent yet</Text></Box>;
  const shown = Math.max(1, Math.min(vols.length, Math.floor(height / 3)));
  const each = Math.floor(height / shown);
  return (
    <Box flexDirection="column" height={height} overflowY="hidden">
      {vols.slice(0, shown).map((v, i) => (
        <Box key={v.name} flexDirection="column" height={each}>
          <Text wrap="truncate">
            <Text bold>{` volume ${v.name}`}</Text>
            <Text dimColor>{` ${v.path} · ${formatBytes(v.size)} · ${formatBytes(v.blockSize)} blocks`}
              {i === shown - 1 && shown < vols.length ? ` · +${vols.length - shown} more volumes` : ''}</Text>
          </Text>
          <Box paddingLeft={1}>
            <Heatmap dirty={v.dirty} volumeSize={v.size} width={width - 2} height={each - 1} />
          </Box>
        </Box>
      ))}
    </Box>
  );
}

function PointList({ points, width, height }: { points: readonly PointView[]; width: number; height: number }): React.ReactElement {
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <ViewTitle title={`Recovery points (${points.length})`} details={['r restores']} />
      {points.length === 0 ? <Text dimColor> none yet</Text> : null}
      {points.slice(0, Math.max(0, height - 1)).map((p) => (
        <Text key={p.id} wrap="truncate">
          {` ${fit(String(p.id), 5, 'right')} ${formatTime(p.time)} ${fit(p.volume, 8)} ${shortType(p)} ${fit(formatBytes(p.size), 9, 'right')} ${p.verifiedAt ? '✓' : ' '}`}
        </Text>
      ))}
    </Box>
  );
}

function TaskList({ jobs, width, height }: { jobs: readonly JobView[]; width: number; height: number }): React.ReactElement {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <ViewTitle title={`Tasks (${jobs.length})`} />
      {jobs.length === 0 ? <Text dimColor> none yet</Text> : null}
      {jobs.slice(0, Math.max(0, height - 1)).map((j) => (
        <Text key={j.id} wrap="truncate">
          {` #${fit(String(j.id), 4)} ${fit(j.kind, 7)} `}
          <Text color={theme.color(STATE_TONE[j.state])}>{fit(j.state, 9)}</Text>
          {j.state === 'running' ? ` ${progressBar(ratio(j), 10)} ` : ' '}
          {taskInfo(j)}
        </Text>
      ))}
    </Box>
  );
}

const SPARK = 12;

/** CPU, memory and the fullest disk as sparklines of the recent samples, and link health. */
function MetricsLine({ metrics, width }: { metrics: HostMetricsState | undefined; width: number }): React.ReactElement {
  const theme = useTheme();
  if (!metrics) return <Text dimColor wrap="truncate">{' metrics: none received yet'}</Text>;
  const m = metrics.latest;
  const fullest = m.disks.reduce<(typeof m.disks)[number] | null>((a, d) => (a && a.percent >= d.percent ? a : d), null);
  const tone = (p: number): Tone | undefined => (p >= 90 ? 'bad' : p >= 75 ? 'warn' : 'accent');
  const spark = width >= 100 ? SPARK : 8;
  const part = (label: string, values: readonly number[], now: number, extra = ''): React.ReactElement => (
    <Text>
      {` ${label} `}
      <Text color={theme.color(tone(now))}>{sparkline(values, spark, 100)}</Text>
      {` ${Math.round(now)}%${extra}`}
    </Text>
  );
  const link = metrics.link;
  return (
    <Text wrap="truncate">
      {part('cpu', metrics.cpu, m.cpu)}
      {part(' mem', metrics.memory, m.memoryPercent)}
      {part(' disk', metrics.disk, fullest?.percent ?? 0, fullest ? ` ${fullest.mount}` : '')}
      <Text>{'  link '}</Text>
      <Text color={theme.color(link.state === 'good' ? 'ok' : link.state === 'unknown' ? undefined : 'bad')}>{link.state}</Text>
      <Text dimColor>{link.latencyMs !== null ? ` ${Math.round(link.latencyMs)}ms` : ''}</Text>
    </Text>
  );
}

export function HostDetailView({ view, width, height }: ViewProps<{ kind: 'host'; host: string }>): React.ReactElement {
  const hosts = useCockpitState((s) => s.hosts);
  const allPoints = useCockpitState((s) => s.points);
  const allJobs = useCockpitState((s) => s.jobs);
  const metrics = useCockpitState((s) => s.metrics[view.host]);
  const now = useNow(AGE_TICK_MS);
  const cockpit = useCockpit();
  const host = hosts.find((h) => h.name === view.host);
  const points = useMemo(() => newestFirst(allPoints.filter((p) => p.host === view.host)), [allPoints, view.host]);
  const jobs = useMemo(() => orderTasks(allJobs.filter((j) => j.host === view.host)), [allJobs, view.host]);

  useViewActions((action) => {
    switch (action) {
      case 'backup': backupNow(cockpit, view.host); return true;
      case 'fullBackup': fullBackup(cockpit, view.host); return true;
      case 'restore': restoreFromHost(cockpit, view.host, allPoints); return true;
      case 'showPoints': cockpit.navigate({ kind: 'points', host: view.host }); return true;
      case 'drill': cockpit.navigate({ kind: 'drill', hosts: [view.host] }); return true;
      case 'failover': cockpit.navigate({ kind: 'failover', host: view.host }); return true;
      case 'failback': if (host) openFailback(cockpit, host); return true;
      default: return false;
    }
  });

  if (!host) return <Box height={height}><Text dimColor>{` no host named ${view.host} (esc goes back)`}</Text></Box>;
  const rest = height - 3 - (host.continuous ? 1 : 0);
  const volumeHeight = Math.max(3, Math.floor(rest * 0.55));
  const listHeight = rest - volumeHeight;
  const sideBySide = width >= 100;
  const half = Math.floor(width / 2);
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <Summary host={host} now={now} />
      <MetricsLine metrics={metrics} width={width} />
      <Volumes host={host} width={width} height={volumeHeight} />
      {sideBySide ? (
        <Box flexDirection="row" height={listHeight}>
          <PointList points={points} width={half} height={listHeight} />
          <TaskList jobs={jobs} width={width - half} height={listHeight} />
        </Box>
      ) : (
        <Box flexDirection="column" height={listHeight}>
          <PointList points={points} width={width} height={Math.ceil(listHeight / 2)} />
          <TaskList jobs={jobs} width={width} height={Math.floor(listHeight / 2)} />
        </Box>
      )}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { host: { host: string } }
}

export const hostView: ViewDef<'host'> = {
  title: (v) => `Host ${v.host}`,
  keys: {
    title: 'Host detail',
    bindings: [
      { keys: ['b'], action: 'backup', help: 'backup now', short: 'backup', mutating: true },
      { keys: ['f'], action: 'fullBackup', help: 'full backup (asks y/n)', short: 'full', mutating: true },
      { keys: ['r'], action: 'restore', help: 'restore a point', short: 'restore', mutating: true },
      { keys: ['p'], action: 'showPoints', help: 'all points of this host', short: 'points' },
      { keys: ['d'], action: 'drill', help: 'drill wizard', short: 'drill', mutating: true },
      { keys: ['F'], action: 'failover', help: 'failover wizard (type the host name to start)', short: 'failover', mutating: true },
      { keys: ['B'], action: 'failback', help: 'failback wizard of a failed-over host (type the host name to start)', mutating: true },
    ],
  },
  command: { name: 'host', aliases: [], arg: { name: 'NAME', optional: false }, help: 'one host in detail', open: ([host]) => ({ kind: 'host', host: host! }) },
  component: HostDetailView,
};
