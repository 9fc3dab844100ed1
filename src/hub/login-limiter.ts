// Rejected agent logins, recorded a few times per source address per window: the first ones
// of a window are written (event and audit), the first with how many the previous window
// suppressed, so a client hammering the gateway cannot fill the disk with rows.
const MAX_SOURCES = 10_000;

export class RejectedLogins {
  private readonly bySource = new Map<string, { since: number; recorded: number; suppressed: number }>();
  constructor(
    private readonly windowMs = 60_000,
    /** rejections recorded per source and window */
    private readonly allowance = 10,
  ) {}

  /** The source address of a remote "ip:port" (IPv6 "[::1]:port" too). */
  static sourceOf(remote: string): string {
    return remote.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  }

  /** Whether to record this rejection, and how many of this source's rejections went unrecorded before it. */
  note(remote: string, now: number): { record: boolean; suppressed: number } {
    const src = RejectedLogins.sourceOf(remote);
    const e = this.bySource.get(src);
    if (e && now - e.since < this.windowMs) {
      if (e.recorded < this.allowance) {
        e.recorded++;
        return { record: true, suppressed: 0 };
      }
      e.suppressed++;
      return { record: false, suppressed: 0 };
    }
    if (this.bySource.size >= MAX_SOURCES) this.forgetOld(now);
    this.bySource.set(src, { since: now, recorded: 1, suppressed: 0 });
    return { record: true, suppressed: e?.suppressed ?? 0 };
  }

  private forgetOld(now: number): void {
    for (const [k, v] of this.bySource) if (now - v.since >= this.windowMs) this.bySource.delete(k);
    // still full: many sources at once; drop the oldest half rather than grow without bound
    if (this.bySource.size >= MAX_SOURCES) [...this.bySource.keys()].slice(0, MAX_SOURCES / 2).forEach((k) => this.bySource.delete(k));
  }
}
