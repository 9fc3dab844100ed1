// The dashboard: hosts, RPO compliance per tier, success rates, tasks, storage, the
// aggregate throughput of the last 15 minutes, and recent events.
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { EventView, InspectionView, Level } from '../../protocol/operator.js';
import { sparkline } from '../components/Sparkline.js';
import { formatDuration } from '../components/format.js';
import { LEVELS, eventTrend, severityCounts, type DayCount } from '../render/alarmModel.js';
import { BrailleChart, chartGutter } from '../components/BrailleChart.js';
import { bucketByTime, niceMax, type TimedValue } from '../components/braille.js';
import { formatBytes, formatClock, formatPercent, formatRate, fit } from '../components/format.js';
import { useViewActions, useCockpit } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { AGE_TICK_MS, useNow } from '../hooks/useNow.js';
import { THROUGHPUT_WINDOW_MS } from '../store.js';
import { useTheme, type Tone } from '../theme.js';
import { complianceTone, linkCounts, rpoCompliance, sameForOverview, successRates, taskCounts, type SuccessRate } from '../render/overviewModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle } from './ViewTitle.js';

const LABEL = 11;
const LEVEL_TONE: Record<Level, Tone | undefined> = { info: undefined, warning: 'warn', critical: 'bad', urgent: 'bad' };

type Part = string | { text: string; tone: Tone | undefined };

function Row(props: { label: string; parts: readonly Part[] }): React.ReactElement {
  const theme = useTheme();
  return (
    <Text wrap="truncate">
      <Text bold>{fit(` ${props.label}`, LABEL)}</Text>
      {props.parts.map((p, i) => (typeof p === 'string'
        ? <Text key={i}>{p}</Text>
        : <Text key={i} color={theme.color(p.tone)}>{p.text}</Text>))}
    </Text>
  );
}

function rateText(r: SuccessRate): string {
  return `${formatPercent(r.rate)} (${r.succeeded} ok, ${r.failed} failed)`;
}

function rateTone(r: SuccessRate): Tone | undefined {
  if (r.rate === null) return undefined;
  return r.rate >= 0.99 ? 'ok' : r.rate >= 0.9 ? 'warn' : 'bad';
}

function eventLine(e: EventView): string {
  return `${formatClock(Date.parse(e.time), false, true)} ${fit(e.level, 8)} ${fit(e.host ?? '—', 10)} ${e.message}`;
}

const BUCKET_MS = 10_000;
const BUCKETS = THROUGHPUT_WINDOW_MS / BUCKET_MS;

/**
 * The last 15 minutes in whole 10-second buckets, the bucket still filling left out: the
 * chart then moves once every 10 s, not with every sample (cheap over slow links). Each
 * bucket is one or more dot columns, so the chart is as wide as fits a whole number.
 */
export function throughputChart(samples: readonly TimedValue[], latest: number, width: number, max: number): { width: number; values: (number | null)[] } {
  const gutter = chartGutter(max, formatRate);
  const dotsPerBucket = Math.max(1, Math.floor(((width - gutter) * 2) / BUCKETS));
  const lastComplete = Math.floor(latest / BUCKET_MS) * BUCKET_MS - 1;
  const buckets = bucketByTime(samples, BUCKETS, THROUGHPUT_WINDOW_MS, lastComplete, 0);
  return {
    width: Math.min(width, gutter + Math.ceil((BUCKETS * dotsPerBucket) / 2)),
    values: buckets.flatMap((v) => new Array<number | null>(dotsPerBucket).fill(v)),
  };
}

function alarmParts(counts: Record<Level, number>): Part[] {
  const open = LEVELS.reduce((n, l) => n + counts[l], 0);
  if (open === 0) return [{ text: 'none open', tone: 'ok' }];
  return LEVELS.flatMap((l, i) => [i > 0 ? ' · ' : '', { text: `${counts[l]} ${l}`, tone: counts[l] > 0 ? LEVEL_TONE[l] : undefined }]).concat(' open');
}

function trendParts(week: readonly DayCount[], month: readonly DayCount[], width: number): Part[] {
  const sum = (d: readonly DayCount[]): number => d.reduce((n, x) => n + x.total, 0);
  const bad = (d: readonly DayCount[]): number => d.reduce((n, x) => n + x.bad, 0);
  const monthBars = width >= 80 ? 30 : 15;
  return [
    '7d ', { text: sparkline(week.map((d) => d.total), 7), tone: 'accent' }, ` ${sum(week)}`,
    bad(week) > 0 ? { text: ` (${bad(week)} crit)`, tone: 'bad' } : '',
    ' · 30d ', { text: sparkline(month.slice(-monthBars).map((d) => d.total), monthBars), tone: 'accent' }, ` ${sum(month)}`,
  ];
}

/** The daily inspection: what needs a look today, and when storage runs out. */
function inspectionRows(i: InspectionView | null): React.ReactElement[] {
  if (!i) return [<Row key="insp" label="Today" parts={['daily inspection: waiting for the hub…']} />];
  const n = (count: number, one: string, many: string): Part => ({ text: `${count} ${count === 1 ? one : many}`, tone: count > 0 ? 'bad' : 'ok' });
  const soonest = [...i.expiringCredentials].sort((a, b) => a.secondsLeft - b.secondsLeft)[0];
  const s = i.storage;
  const used = s.capacityBytes > 0 ? (s.capacityBytes - s.freeBytes) / s.capacityBytes : null;
  const full = s.daysUntilFull;
  return [
    <Row key="insp" label="Today" parts={[
      n(i.failedTasks.length, 'failed task', 'failed tasks'), ' · ', n(i.delayedHosts.length, 'delayed', 'delayed'), ' · ',
      n(i.badLinks.length, 'bad link', 'bad links'), ' · ',
      soonest ? { text: `${soonest.kind} ${soonest.name} expires in ${formatDuration(soonest.secondsLeft)}${i.expiringCredentials.length > 1 ? ` (+${i.expiringCredentials.length - 1})` : ''}`, tone: soonest.secondsLeft < 7 * 86400 ? 'bad' : 'warn' }
        : { text: 'no credential expiring', tone: 'ok' },
    ]} />,
    <Row key="cap" label="Capacity" parts={[
      s.capacityBytes > 0 ? `${formatBytes(s.capacityBytes - s.freeBytes)}/${formatBytes(s.capacityBytes)} ` : `${formatBytes(s.bytesStored)} stored `,
      used === null ? '' : { text: `(${formatPercent(used)})`, tone: used >= 0.9 ? 'bad' : used >= 0.75 ? 'warn' : undefined },
      ` · +${formatBytes(Math.max(0, s.growthBytesPerDay))}/day · `,
      full === null ? 'not filling' : { text: `full in ${Math.floor(full)} days`, tone: full < 14 ? 'bad' : full < 60 ? 'warn' : 'ok' },
    ]} />,
  ];
}

export function OverviewView({ width, height }: ViewProps<{ kind: 'overview' }>): React.ReactElement {
  const hub = useCockpitState((s) => s.hub);
  const hosts = useCockpitState((s) => s.hosts, sameForOverview);
  const jobs = useCockpitState((s) => s.jobs);
  const throughput = useCockpitState((s) => s.throughput);
  const events = useCockpitState((s) => s.events);
  const alarms = useCockpitState((s) => s.alarms);
  const inspection = useCockpitState((s) => s.inspection);
  const connection = useCockpitState((s) => s.connection);
  const now = useNow(AGE_TICK_MS);
  const theme = useTheme();
  const cockpit = useCockpit();
  useViewActions((action) => {
    if (action === 'showHosts') cockpit.navigate({ kind: 'hosts' });
    else if (action === 'showTasks') cockpit.navigate({ kind: 'tasks' });
    else if (action === 'showPoints') cockpit.navigate({ kind: 'points', host: null });
    else if (action === 'showAlarms') cockpit.navigate({ kind: 'alarms' });
    else return false;
    return true;
  });
  const severity = useMemo(() => severityCounts(alarms), [alarms]);
  const day = Math.floor(now / 86_400_000);
  const trend30 = useMemo(() => eventTrend(30, day * 86_400_000, inspection, events, alarms), [day, inspection, events, alarms]);
  const trend7 = trend30.slice(-7);
  const links = useMemo(() => linkCounts(hosts), [hosts]);
  const compliance = useMemo(() => rpoCompliance(hosts, hub?.tiers ?? [], now), [hosts, hub, now]);
  const tasks = useMemo(() => taskCounts(jobs), [jobs]);
  const samples = useMemo(() => throughput.map((s) => ({ time: s.time, value: s.bytesPerSec })), [throughput]);
  const peak = samples.reduce((m, s) => Math.max(m, s.value), 0);
  const latest = throughput[throughput.length - 1];
  const max = niceMax(peak);
  const chart = useMemo(() => throughputChart(samples, latest ? Date.parse(latest.time) : now, width, max), [samples, latest, now, width, max]);

  if (!hub) {
    return <Box width={width} height={height}><Text dimColor>{` waiting for the hub's snapshot (${connection})…`}</Text></Box>;
  }
  const rates = successRates(hub.stats);
  const extra: React.ReactElement[] = [
    <Row key="alarms" label="Alarms" parts={alarmParts(severity)} />,
    <Row key="trend" label="Events" parts={trendParts(trend7, trend30, width)} />,
    ...inspectionRows(inspection),
  ];
  // the first five rows and the new ones, then as much chart and events as fits
  const fixedRows = 5 + extra.length;
  const left = height - fixedRows;
  const spacer = left > 14;
  // the chart takes its title and x labels besides its own lines; it goes before the rows do
  const chartHeight = left >= 5 ? Math.max(2, Math.min(10, Math.floor((left - 3 - (spacer ? 1 : 0)) / 2))) : 0;
  // at most 10: a new event shifts every line of the list, and each line costs bytes
  const eventRows = Math.max(0, Math.min(10, left - (chartHeight > 0 ? chartHeight + 2 : 0) - 1 - (spacer ? 1 : 0)));
  const recent = eventRows > 0 ? events.slice(-eventRows).reverse() : [];

  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <Row label="Hosts" parts={[
        { text: `${links.connected} connected`, tone: 'ok' }, ' · ',
        { text: `${links.disconnected} disconnected`, tone: links.disconnected > 0 ? 'bad' : undefined },
        links.never > 0 ? ` · ${links.never} never seen` : '',
        links.failedOver > 0 ? ` · ${links.failedOver} failed over` : '', ` · ${links.total} total`,
      ]} />
      <Row label="RPO" parts={compliance.length === 0 ? ['no tiered hosts'] : compliance.flatMap((c, i) => [
        i > 0 ? ' · ' : '',
        { text: `${c.tier} ${c.compliant}/${c.total} ${formatPercent(c.compliant / c.total)}`, tone: complianceTone(c) },
      ])} />
      <Row label="Success" parts={[
        '24h ', { text: rateText(rates.day), tone: rateTone(rates.day) },
        ' · 7d ', { text: rateText(rates.week), tone: rateTone(rates.week) },
      ]} />
      <Row label="Tasks" parts={[
        { text: `${tasks.running} running`, tone: tasks.running > 0 ? 'accent' : undefined }, ` · ${tasks.queued} queued`,
      ]} />
      <Row label="Storage" parts={[
        `${formatBytes(hub.store.bytesStored)} stored · ${formatBytes(hub.store.bytesLogical)} logical · dedup `,
        { text: `${hub.store.dedupRatio.toFixed(2)}×`, tone: 'accent' },
        ` · ${hub.store.chunks.toLocaleString('en-US')} chunks in ${hub.store.packs} packs`,
      ]} />
      {hub.backend && (hub.backend.type !== 'local' || hub.backend.encrypted) ? <Row label="Store" parts={[
        { text: hub.backend.location, tone: 'accent' },
        hub.backend.encrypted ? ' · encrypted' : ' · not encrypted',
        hub.backend.cache ? ` · cache ${formatBytes(hub.backend.cache.bytes)}/${formatBytes(hub.backend.cache.maxBytes)} in ${hub.backend.cache.packs} packs` : '',
      ]} /> : null}
      {hub.copies?.length ? <Row label="Copies" parts={hub.copies.flatMap((c, i) => [
        i > 0 ? ' · ' : '',
        { text: `${c.name} ${c.pointsHeld}/${c.pointsTotal}`, tone: c.lastState === 'failed' ? 'bad' : c.pointsHeld === c.pointsTotal ? 'ok' : 'warn' },
        c.lagSeconds > 0 ? ` lag ${formatDuration(c.lagSeconds)}` : '',
      ])} /> : null}
      {extra}
      {spacer ? <Text> </Text> : null}
      {chartHeight > 0 ? <ViewTitle title="Throughput, last 15 min" details={[`now ${formatRate(latest?.bytesPerSec ?? 0)}`, `peak ${formatRate(peak)}`]} /> : null}
      {chartHeight > 0 ? <BrailleChart width={chart.width} height={chartHeight} formatValue={formatRate} max={max} tone="accent"
        values={chart.values} xLabels={{ left: '-15m', middle: '-7m30s', right: 'now' }} /> : null}
      {eventRows > 0 ? <ViewTitle title="Recent events" details={[`${events.length} kept`]} /> : null}
      {recent.map((e) => (
        <Text key={e.id} wrap="truncate" color={theme.color(LEVEL_TONE[e.level])} bold={e.level === 'urgent'}>
          {` ${eventLine(e)}`}
        </Text>
      ))}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { overview: object }
}

export const INSPECTION_POLL_MS = 60_000;
export const overviewView: ViewDef<'overview'> = {
  title: () => 'Overview',
  keys: {
    title: 'Overview',
    bindings: [
      { keys: ['h'], action: 'showHosts', help: 'hosts', short: 'hosts' },
      { keys: ['t'], action: 'showTasks', help: 'tasks', short: 'tasks' },
      { keys: ['p'], action: 'showPoints', help: 'points', short: 'points' },
      { keys: ['a'], action: 'showAlarms', help: 'alarms', short: 'alarms' },
    ],
  },
  command: { name: 'overview', aliases: ['ov'], help: 'dashboard', open: () => ({ kind: 'overview' }) },
  // the daily inspection: quiet, the panel says when it is missing
  feeds: [{ every: INSPECTION_POLL_MS, quiet: true, fetch: async (c) => [{ type: 'inspection', inspection: await c.call('inspection.get', {}) }] }],
  component: OverviewView,
};
