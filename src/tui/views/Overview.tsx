// The dashboard: hosts, RPO compliance per tier, success rates, tasks, storage, the
// aggregate throughput of the last 15 minutes, and recent events.
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { EventView, Level } from '../../protocol/operator.js';
import { BrailleChart, chartGutter } from '../components/BrailleChart.js';
import { bucketByTime, niceMax, type TimedValue } from '../components/braille.js';
import { formatBytes, formatPercent, formatRate, fit } from '../components/format.js';
import { useViewActions, useCockpit } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { AGE_TICK_MS, useNow } from '../hooks/useNow.js';
import { THROUGHPUT_WINDOW_MS } from '../store.js';
import { useTheme, type Tone } from '../theme.js';
import { complianceTone, linkCounts, rpoCompliance, successRates, taskCounts, type SuccessRate } from './overviewModel.js';
import type { ViewProps } from './types.js';
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
  const t = new Date(e.time);
  const hh = [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${hh} ${fit(e.level, 8)} ${fit(e.host ?? '—', 10)} ${e.message}`;
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

export function OverviewView({ width, height }: ViewProps<{ kind: 'overview' }>): React.ReactElement {
  const state = useCockpitState((s) => s);
  const now = useNow(AGE_TICK_MS);
  const theme = useTheme();
  const cockpit = useCockpit();
  useViewActions((action) => {
    if (action === 'showHosts') cockpit.navigate({ kind: 'hosts' });
    else if (action === 'showTasks') cockpit.navigate({ kind: 'tasks' });
    else if (action === 'showPoints') cockpit.navigate({ kind: 'points', host: null });
    else return false;
    return true;
  });
  const { hub, hosts, jobs, throughput, events } = state;
  const links = useMemo(() => linkCounts(hosts), [hosts]);
  const compliance = useMemo(() => rpoCompliance(hosts, hub?.tiers ?? [], now), [hosts, hub, now]);
  const tasks = useMemo(() => taskCounts(jobs), [jobs]);
  const samples = useMemo(() => throughput.map((s) => ({ time: s.time, value: s.bytesPerSec })), [throughput]);
  const peak = samples.reduce((m, s) => Math.max(m, s.value), 0);
  const latest = throughput[throughput.length - 1];
  const max = niceMax(peak);
  const chart = useMemo(() => throughputChart(samples, latest ? Date.parse(latest.time) : now, width, max), [samples, latest, now, width, max]);

  if (!hub) {
    return <Box width={width} height={height}><Text dimColor>{` waiting for the hub's snapshot (${state.connection})…`}</Text></Box>;
  }
  const rates = successRates(hub.stats);
  const chartHeight = Math.max(2, Math.min(10, Math.floor((height - 6) / 2) - 2));
  // at most 10: a new event shifts every line of the list, and each line costs bytes
  const eventRows = Math.max(0, Math.min(10, height - 6 - chartHeight - 3));
  const recent = events.slice(-eventRows).reverse();

  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
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
      <Text> </Text>
      <ViewTitle title="Throughput, last 15 min" details={[`now ${formatRate(latest?.bytesPerSec ?? 0)}`, `peak ${formatRate(peak)}`]} />
      <BrailleChart width={chart.width} height={chartHeight} formatValue={formatRate} max={max} tone="accent"
        values={chart.values} xLabels={{ left: '-15m', middle: '-7m30s', right: 'now' }} />
      <ViewTitle title="Recent events" details={[`${events.length} kept`]} />
      {recent.map((e) => (
        <Text key={e.id} wrap="truncate" color={theme.color(LEVEL_TONE[e.level])} bold={e.level === 'urgent'}>
          {` ${eventLine(e)}`}
        </Text>
      ))}
    </Box>
  );
}
