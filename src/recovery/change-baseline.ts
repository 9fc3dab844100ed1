// Suspicious change: ransomware shows as a burst of changed blocks that turn incompressible.
// Each point is judged against its own volume's recent points (median and MAD), so a host
// whose normal changes are already random data (media, archives) raises nothing from the
// same kind of writes, while a host of text suddenly rewritten with ciphertext does.

/** What a committed point measured: new blocks / all blocks, and the share of those that did not compress. */
export interface ChangeFacts {
  changeRate: number;
  incompressibleShare: number;
}

export interface ChangeVerdict {
  suspect: boolean;
  /** one line for the event and alarm, or why nothing was judged */
  reason: string;
}

/** points of the baseline (newest first), and how many it needs before anything is judged */
export const BASELINE_POINTS = 20;
export const MIN_BASELINE_POINTS = 3;
/** below this share of the disk rewritten with incompressible data, nothing is suspicious */
const MIN_INCOMPRESSIBLE_RATE = 0.05;
/** how far the share of incompressible changed blocks must rise above its baseline, at least */
const MIN_SHARE_RISE = 0.3;
/** robust z: this many scaled MADs above the median is "far outside" */
const Z = 6;
const MAD_SCALE = 1.4826;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function spread(xs: number[], m: number): number {
  return MAD_SCALE * median(xs.map((x) => Math.abs(x - m)));
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Judge a point's change against its volume's earlier, unsuspicious points (newest first). */
export function judgeChange(now: ChangeFacts, baseline: readonly ChangeFacts[]): ChangeVerdict {
  // the share is only known of points that changed something: idle points say nothing about it
  const changed = baseline.filter((b) => b.changeRate > 0);
  if (changed.length < MIN_BASELINE_POINTS) return { suspect: false, reason: `baseline of ${changed.length} point(s) with changes; ${MIN_BASELINE_POINTS} needed` };
  const rates = baseline.map((b) => b.changeRate * b.incompressibleShare);
  const shares = changed.map((b) => b.incompressibleShare);
  const x = now.changeRate * now.incompressibleShare;
  const mx = median(rates);
  const ms = median(shares);
  const rateSpike = x >= MIN_INCOMPRESSIBLE_RATE && x >= mx + Math.max(MIN_INCOMPRESSIBLE_RATE, Z * spread(rates, mx)) && x >= 3 * mx;
  const shareSpike = now.incompressibleShare >= ms + Math.max(MIN_SHARE_RISE, Z * spread(shares, ms));
  const reason =
    `${pct(x)} of the disk rewritten with data that does not compress (baseline ${pct(mx)}); ` +
    `${pct(now.incompressibleShare)} of changed blocks incompressible (baseline ${pct(ms)}), change rate ${pct(now.changeRate)}`;
  return { suspect: rateSpike && shareSpike, reason };
}
