// Follow a drill or failover run to its end, printing its checklist on stderr as steps finish.
import type { ApiClient } from '../../client/api-client.js';
import type { ObjectiveView, RunView, StepView } from '../../protocol/recovery.js';
import { longDuration } from '../../format/human.js';

const MARK: Record<StepView['state'], string> = { succeeded: '✓', failed: '✗', skipped: '–', running: '…', pending: ' ' };

export function stepLine(s: StepView): string {
  const took = s.durationMs === null ? '' : ` (${longDuration(s.durationMs / 1000)})`;
  const why = s.state === 'failed' ? `: ${s.error ?? 'failed'}` : s.detail && s.state !== 'running' ? ` — ${s.detail}` : '';
  return `${MARK[s.state]} ${s.title}${took}${why}`;
}

export function objectiveLine(label: string, o: ObjectiveView): string {
  const result = o.pass === null ? '' : o.pass ? ' PASS' : ' FAIL';
  return `${label} ${longDuration(o.actualSeconds)} (target ${o.targetSeconds === null ? 'none' : longDuration(o.targetSeconds)})${result}`;
}

/** The boot time on its own line under the RTO: power-on → boot check passed. */
export function bootLine(v: RunView): string {
  return `  boot ${v.bootSeconds === null ? '-' : `${v.bootSeconds.toFixed(1)} s`} (power-on → boot check passed${v.instant ? '; instant recovery from the point over NBD' : ''})`;
}

/**
 * Start a run with `start` and wait for it to end. Updates are subscribed to before the
 * start so none is missed; `quiet` suppresses the checklist (JSON output).
 */
export async function startAndFollow(client: ApiClient, start: () => Promise<RunView>, quiet: boolean): Promise<RunView> {
  const latest = new Map<number, RunView>();
  let runId: number | null = null;
  let resolveEnd: (v: RunView) => void = () => undefined;
  let rejectEnd: (e: Error) => void = () => undefined;
  const ended = new Promise<RunView>((resolve, reject) => {
    resolveEnd = resolve;
    rejectEnd = reject;
  });
  const printed = new Set<number>();
  const show = (v: RunView) => {
    if (quiet) return;
    for (const s of v.steps) {
      if (printed.has(s.index) || s.state === 'pending' || s.state === 'running') continue;
      printed.add(s.index);
      process.stderr.write(`${stepLine(s)}\n`);
    }
  };
  const consider = (v: RunView) => {
    show(v);
    if (v.state !== 'running') resolveEnd(v);
  };
  client.onConnection((s) => {
    if (s === 'lost') rejectEnd(new Error(`lost the hub connection${runId ? `; run ${runId} continues in the hub (drc report list)` : ''}`));
  });
  client.onUpdate((u) => {
    if (u.type !== 'run') return;
    latest.set(u.run.id, u.run);
    if (u.run.id === runId) consider(u.run);
  });
  await client.call('subscribe', { snapshot: false });
  const first = await start();
  runId = first.id;
  consider(latest.get(first.id) ?? first);
  // an update may have raced the answer: ask once more
  consider(await client.call('runs.get', { id: first.id }));
  return ended;
}
