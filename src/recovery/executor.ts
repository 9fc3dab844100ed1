// Drives runs through their runbooks: each step's start and end is written to the catalog
// (with the injected clock's time) before the next thing happens. A hub that stops or dies
// leaves the interrupted step `running`; resumeAll() runs it again and carries on, never
// repeating a step that finished.
import { completeRun, finishStep, nextAction, resumeRun, startStep, type RunRecord, type StepOutcome, type StepRecord } from './runbook.js';
import type { RunStore } from './run-store.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface StepContext {
  run: RunRecord;
  step: StepRecord;
  signal: AbortSignal;
}

export type StepRunner = (ctx: StepContext) => Promise<StepOutcome>;

export class RunExecutor {
  private active = new Map<number, { abort: AbortController; done: Promise<void> }>();
  private stopped = false;

  constructor(
    private readonly store: RunStore,
    private readonly clock: Clock,
    private readonly runner: StepRunner,
    private readonly onChange: (run: RunRecord) => void,
    private readonly onError: (runId: number, e: Error) => void = () => undefined,
  ) {}

  isActive(id: number): boolean {
    return this.active.has(id);
  }

  /** Drive a run in the background; the promise settles when it ends or the executor stops. */
  start(id: number): Promise<void> {
    const existing = this.active.get(id);
    if (existing) return existing.done;
    const abort = new AbortController();
    const done = this.drive(id, abort.signal)
      .catch((e: Error) => this.onError(id, e))
      .finally(() => this.active.delete(id));
    this.active.set(id, { abort, done });
    return done;
  }

  /** After a restart: every run still `running` resumes from its first unfinished step. */
  resumeAll(): number[] {
    const ids: number[] = [];
    for (const { record } of this.store.running()) {
      const resumed = resumeRun(record, this.clock.now());
      if (resumed !== record) {
        this.store.save(resumed, record);
        this.onChange(resumed);
      }
      ids.push(record.id);
      void this.start(record.id);
    }
    return ids;
  }

  /** Abort the steps in flight without recording them as failed; they run again on resume. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true;
    const all = [...this.active.values()];
    for (const a of all) a.abort.abort();
    await Promise.race([Promise.all(all.map((a) => a.done)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async drive(id: number, signal: AbortSignal): Promise<void> {
    let run = this.store.get(id)?.record;
    if (!run) return;
    for (;;) {
      if (this.stopped) return;
      const a = nextAction(run);
      if (a.type === 'none') return;
      const before: RunRecord = run;
      if (a.type === 'complete') {
        run = completeRun(run, a.state, this.clock.now());
        this.store.save(run, before);
        this.onChange(run);
        return;
      }
      run = startStep(run, a.index, this.clock.now());
      this.store.save(run, before);
      this.onChange(run);
      let outcome: StepOutcome;
      try {
        outcome = await this.runner({ run, step: run.steps[a.index]!, signal });
      } catch (e) {
        outcome = { state: 'failed', error: (e as Error).message.split('\n')[0] };
      }
      if (this.stopped) return;
      const running: RunRecord = this.store.get(id)?.record ?? run;
      run = finishStep(running, a.index, outcome, this.clock.now());
      this.store.save(run, running);
      this.onChange(run);
    }
  }
}
