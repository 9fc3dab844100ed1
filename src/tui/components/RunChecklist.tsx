// The live step checklist of a drill or failover: each step's state, start time,
// duration and progress, with the RTO timer above it.
import React from 'react';
import { Box, Text } from 'ink';
import type { RunView } from '../../protocol/operator.js';
import { useTheme } from '../theme.js';
import { STEP_MARK, STEP_TONE, activityText, bootText, objectiveText, rtoClock, rtoText, stepSeconds } from '../render/runModel.js';
import { fit, formatBytes, formatClock, formatDuration } from './format.js';
import { progressBar, percentText } from './ProgressBar.js';

export function RunChecklist({ run, now, width, height }: { run: RunView; now: number; width: number; height: number }): React.ReactElement {
  const theme = useTheme();
  const clock = rtoClock(run, now);
  const rtoTone = clock.within === null ? undefined : clock.within ? 'ok' : 'bad';
  const boot = bootText(run);
  // keep the running (or first failed) step in view when the list is longer than the screen
  const rows = Math.max(0, height - 2 - (boot ? 1 : 0));
  const focus = run.steps.findIndex((s) => s.state === 'running' || s.state === 'failed');
  const first = focus < 0 ? Math.max(0, run.steps.length - rows) : Math.max(0, Math.min(focus - Math.floor(rows / 2), run.steps.length - rows));
  const titleWidth = Math.max(16, Math.min(40, width - 44));
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <Text wrap="truncate">
        <Text bold color={theme.color(rtoTone)}>{` ${rtoText(clock)}`}</Text>
        <Text dimColor>{` · ${objectiveText('RPO', run.rpo)} · ${run.state}${run.error ? `: ${run.error}` : ''}`}</Text>
      </Text>
      {boot ? <Text wrap="truncate">{`   ${boot}`}</Text> : null}
      <Text bold wrap="truncate">{` ${fit('STEP', titleWidth + 2)} ${fit('STARTED', 8)} ${fit('TOOK', 7, 'right')}  PROGRESS / DETAIL`}</Text>
      {run.steps.slice(first, first + rows).map((s) => {
        const secs = stepSeconds(s, now);
        const p = s.progress;
        const ratio = p && p.totalBytes > 0 ? p.doneBytes / p.totalBytes : 0;
        const activity = s.state === 'running' && p ? activityText(p, now) : null;
        const info = activity ?? (s.state === 'running' && p
          ? `${progressBar(ratio, 12)} ${percentText(ratio)} ${formatBytes(p.rate)}/s`
          : s.error ?? s.detail ?? '');
        return (
          <Text key={s.index} wrap="truncate">
            <Text color={theme.color(STEP_TONE[s.state])}>{` ${STEP_MARK[s.state]} ${fit(s.title, titleWidth)}`}</Text>
            {` ${fit(s.startedAt ? formatClock(Date.parse(s.startedAt), false, true) : '', 8)} ${fit(secs === null ? '' : formatDuration(secs), 7, 'right')}  `}
            <Text color={theme.color(s.state === 'failed' ? 'bad' : s.state === 'running' ? 'accent' : undefined)}>{info}</Text>
            {s.attempts > 1 ? <Text dimColor>{` (attempt ${s.attempts})`}</Text> : null}
          </Text>
        );
      })}
    </Box>
  );
}
