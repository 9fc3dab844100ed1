// The RTO forecast in one line, for the CLI and reports: total, then the critical path.
import type { RtoForecastView } from '../protocol/recovery.js';
import { duration, size } from './format.js';

export function rtoForecastLine(f: RtoForecastView): string {
  const rate = `${size(f.bytes)} at ${size(f.bytesPerSec)}/s, ${f.basis}`;
  const path = f.criticalPath?.length ? `; critical path: ${f.criticalPath.map((s) => `${s.step} ${duration(s.seconds)}`).join(' → ')}` : '';
  return `RTO forecast ${duration(f.seconds)} (${rate})${path}`;
}
