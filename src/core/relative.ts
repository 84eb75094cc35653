/**
 * A time relative to now, as operators read it: `in 4m 10s`, `2m 05s ago`, `in 1h 03m`, `12s ago`.
 * One wording for every surface that shows a countdown (the status page's first rendering, the
 * CLI's table). Pure: `now` is an input.
 */
export function relative(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  const total = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = h > 0 ? `${h}h ${pad(m)}m` : m > 0 ? `${m}m ${pad(s)}s` : `${s}s`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * A past instant, as `relative` says it; an instant within the last second — or slightly in the
 * future, as another host's clock may give it — reads "just now", never "in 0s".
 */
export function ago(iso: string, now: number): string {
  return now - Date.parse(iso) < 1000 ? 'just now' : relative(iso, now);
}
