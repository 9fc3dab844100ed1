// When schedules are due. Each schedule remembers when it last fired; on a tick every
// schedule whose next run is at or before now fires once, however many runs it missed
// (catch-up after downtime is one run, not a burst), and its next run is computed from now.
import { nextRun, nextRuns, parseCron, type CronSpec } from './cron.js';

export interface PlannedSchedule {
  name: string;
  cron: string;
  timezone: string;
}

export interface ScheduleRunState {
  /** when the hub first saw the schedule (ms): runs before it are not owed */
  since: number;
  /** when it last fired (ms), or null */
  lastFiredAt: number | null;
}

export interface DueRun {
  name: string;
  /** the first run that had not happened yet (ms) */
  dueAt: number;
  /** runs missed while the hub was down, folded into this one (0 when on time) */
  missed: number;
}

interface Entry {
  name: string;
  spec: CronSpec;
  nextDue: number;
}

/** How many missed runs to count before saying "at least". */
const MISSED_COUNT_CAP = 1000;

export class SchedulePlanner {
  private readonly entries: Entry[] = [];
  private readonly byName = new Map<string, Entry>();

  constructor(schedules: readonly PlannedSchedule[], state: (name: string) => ScheduleRunState | undefined, now: number) {
    for (const s of schedules) {
      const spec = parseCron(s.cron, s.timezone);
      const st = state(s.name);
      const from = st ? (st.lastFiredAt ?? st.since) : now;
      const e = { name: s.name, spec, nextDue: nextRun(spec, from) };
      this.entries.push(e);
      this.byName.set(s.name, e);
    }
  }

  /** Schedules due at `now`; each is then advanced past now. */
  due(now: number): DueRun[] {
    const out: DueRun[] = [];
    for (const e of this.entries) {
      if (e.nextDue > now) continue;
      let missed = 0;
      for (let t = nextRun(e.spec, e.nextDue); t <= now && missed < MISSED_COUNT_CAP; t = nextRun(e.spec, t)) missed++;
      out.push({ name: e.name, dueAt: e.nextDue, missed });
      e.nextDue = nextRun(e.spec, now);
    }
    return out;
  }

  nextDue(name: string): number | undefined {
    return this.byName.get(name)?.nextDue;
  }

  /** The next `count` runs of a schedule, the first being its pending one. */
  upcoming(name: string, count: number): number[] {
    const e = this.byName.get(name);
    if (!e || count <= 0) return [];
    return [e.nextDue, ...nextRuns(e.spec, e.nextDue, count - 1)];
  }
}
