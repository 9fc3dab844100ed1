// How numbers read to people, everywhere (cockpit, CLI, reports, alarm messages): IEC bytes,
// rates, durations in three registers, coarse ages, clocks and times, percentages.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** "512 B", "1.5 KiB", "200 GiB": one decimal below 100 of a unit, none above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) { value /= 1024; unit++; }
  const text = value >= 100 ? value.toFixed(0) : value.toFixed(1);
  return `${text} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** Compact, for tables: "45s", "3m 20s", "2h 5m", "3d 4h" — two units at most. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return pair(Math.floor(s / 60), 'm', s % 60, 's');
  if (s < 86400) return pair(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'm');
  return pair(Math.floor(s / 86400), 'd', Math.floor((s % 86400) / 3600), 'h');
}

function pair(a: number, ua: string, b: number, ub: string): string {
  return b === 0 ? `${a}${ua}` : `${a}${ua} ${b}${ub}`;
}

/** Spelt out, for reports and step details: "4.2 s", "42 s", "3 min 20 s", "1 h 0 min"; null is "-". */
export function longDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** One unit, for sentences that compare (alarm messages): "45 s", "12 min", "1.5 h", "6.0 d", "-3 min". */
export function roundDuration(seconds: number): string {
  const a = Math.abs(seconds);
  const t = a >= 86_400 ? `${(a / 86_400).toFixed(1)} d` : a >= 3600 ? `${(a / 3600).toFixed(1)} h` : a >= 60 ? `${Math.round(a / 60)} min` : `${Math.round(a)} s`;
  return seconds < 0 ? `-${t}` : t;
}

/**
 * A coarse age for tables: seconds below a minute, whole minutes below an hour, so a
 * screen full of ages changes about once a minute rather than every second.
 */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return formatDuration(s - (s % 60));
}

/** Age of an ISO time at `now` (ms), in seconds; null when there is no time. */
export function ageSeconds(iso: string | null, now: number): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, (now - t) / 1000);
}

/** "09:05" (or "09:05:07"), local or UTC. */
export function formatClock(ms: number, utc: boolean, withSeconds = false): string {
  const d = new Date(ms);
  const h = utc ? d.getUTCHours() : d.getHours();
  const m = utc ? d.getUTCMinutes() : d.getMinutes();
  if (!withSeconds) return `${two(h)}:${two(m)}`;
  return `${two(h)}:${two(m)}:${two(utc ? d.getUTCSeconds() : d.getSeconds())}`;
}

/** Local "YYYY-MM-DD HH:MM" (seconds too when asked). */
export function formatTime(iso: string, withSeconds = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = formatClock(d.getTime(), false, withSeconds);
  return `${date} ${time}`;
}

export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  const p = ratio * 100;
  if (p >= 99.95 && p < 100) return '99.9%';
  return p === 100 || p === 0 ? `${p}%` : `${p.toFixed(1)}%`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
