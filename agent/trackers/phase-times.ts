// Wall milliseconds of the named steps of one tracker phase, for the agent's log: where a
// backup's time goes (freeze, export, NBD handshake, block status, reads, hashing, teardown).

export class PhaseTimes {
  readonly ms: Record<string, number> = {};
  private last = performance.now();

  /** The step named `name` ended now: it took the time since the previous lap (added up when named again). */
  lap(name: string): void {
    const now = performance.now();
    this.add(name, now - this.last);
    this.last = now;
  }

  /** Record a step measured elsewhere (e.g. worker time that overlaps other steps). */
  add(name: string, ms: number): void {
    this.ms[name] = Math.round(((this.ms[name] ?? 0) + ms) * 10) / 10;
  }
}
