/** Numbers and durations as the console shows them. */
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export const formatCount = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : int.format(n));

export function formatRate(pointsPerSecond: number | null): string {
  return pointsPerSecond === null ? '—' : `${int.format(pointsPerSecond)} points/s`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** `2026-05-01 14:03:07` in local time: short, sortable, the same in every browser locale. */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function elapsed(startedAt: string | null, endedAt: string | null): string {
  if (!startedAt) return '—';
  const end = endedAt ? Date.parse(endedAt) : Date.now();
  return formatDuration((end - Date.parse(startedAt)) / 1000);
}
