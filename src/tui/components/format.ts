// Cells of the cockpit's tables: fit text to a width. The units (bytes, durations, ages,
// clocks) come from src/format, re-exported here for the cockpit's components.
export {
  ageSeconds, formatAge, formatBytes, formatClock, formatDuration, formatPercent, formatRate, formatTime,
} from '../../format/human.js';

/** Pads or truncates (with …) to exactly `width` cells. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length > width) return width === 1 ? '…' : chars.slice(0, width - 1).join('') + '…';
  const pad = ' '.repeat(width - chars.length);
  return align === 'right' ? pad + text : text + pad;
}
