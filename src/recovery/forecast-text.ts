// The RTO forecast in one line, for the CLI and reports: total, then the critical path.
import type { RtoForecastView } from '../protocol/recovery.js';
import { formatBytes, longDuration } from '../format/human.js';

export function rtoForecastLine(f: RtoForecastView): string {
  const rate = `${formatBytes(f.bytes)} at ${formatBytes(f.bytesPerSec)}/s, ${f.basis}`;
  const path = f.criticalPath?.length ? `; critical path: ${f.criticalPath.map((s) => `${s.step} ${longDuration(s.seconds)}`).join(' → ')}` : '';
  return `RTO forecast ${longDuration(f.seconds)} (${rate})${path}`;
}
