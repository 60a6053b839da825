/**
 * Dates as a chat shows them. `now` and `locale` are parameters so the
 * output is testable; the app passes Date.now() and the browser's locale.
 */
const DAY = 86_400_000;

export function startOfDay(ts: number): number {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

/** Calendar days between two instants (0 = same day), robust to DST shifts. */
export function daysBetween(earlier: number, later: number): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY);
}

/** Label of a day separator: Today, Yesterday, a weekday this week, else the date. */
export function dayLabel(ts: number, now: number, locale?: string): string {
  const diff = daysBetween(ts, now);
  if (diff <= 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  const d = new Date(ts);
  if (diff < 7) return d.toLocaleDateString(locale, { weekday: 'long' });
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString(locale, sameYear
    ? { weekday: 'short', month: 'short', day: 'numeric' }
    : { year: 'numeric', month: 'short', day: 'numeric' });
}

export function clockTime(ts: number, locale?: string): string {
  return new Date(ts).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** Time in the conversation list: clock today, Yesterday, weekday this week, else a short date. */
export function listTime(ts: number, now: number, locale?: string): string {
  const diff = daysBetween(ts, now);
  if (diff <= 0) return clockTime(ts, locale);
  if (diff === 1) return 'Yesterday';
  const d = new Date(ts);
  if (diff < 7) return d.toLocaleDateString(locale, { weekday: 'short' });
  return d.toLocaleDateString(locale, { year: '2-digit', month: 'numeric', day: 'numeric' });
}

/** Full timestamp for a tooltip. */
export function fullTime(ts: number, locale?: string): string {
  return new Date(ts).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
