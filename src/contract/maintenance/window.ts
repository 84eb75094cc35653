/**
 * Where a schedule's windows lie in time: pure functions of (schedule, time zone, instant), in
 * epoch milliseconds. croner does every calendar and DST step; nothing here adds hours to dates.
 *
 * A window is the half-open interval [start, end). Occurrences are always walked forward from an
 * anchor before the instant asked about (croner resolves an ambiguous fall-back time the same
 * way along one walk), never looked up backwards.
 */
import { Cron } from 'croner';
import { DAYS_FORM_MAX_MS, type Schedule } from './schedule.js';

export interface Span {
  start: number;
  end: number;
}

/** croner objects are immutable evaluators; one per (pattern, zone) is kept. */
const cache = new Map<string, Cron>();
function cron(pattern: string, timezone: string): Cron {
  const key = `${timezone}\u0000${pattern}`;
  let c = cache.get(key);
  if (!c) {
    c = new Cron(pattern, { timezone, paused: true });
    cache.set(key, c);
  }
  return c;
}

function next(c: Cron, after: number): number | null {
  return c.nextRun(new Date(after))?.getTime() ?? null;
}

/** The longest one window of this schedule can last. */
export function longestMs(s: Schedule): number {
  return s.kind === 'days' ? DAYS_FORM_MAX_MS : s.durationMs;
}

function endOf(s: Schedule, timezone: string, start: number): number {
  if (s.kind === 'cron') return start + s.durationMs;
  return next(cron(s.end, timezone), start) ?? start;
}

/**
 * Every window of the schedule that overlaps [from, to), in start order (a bounded walk: at most
 * `limit` occurrences).
 */
export function spansBetween(s: Schedule, timezone: string, from: number, to: number, limit = 1000): Span[] {
  const c = cron(s.start, timezone);
  const out: Span[] = [];
  let at = next(c, from - longestMs(s) - 1);
  while (at !== null && at < to && out.length < limit) {
    const end = endOf(s, timezone, at);
    if (end > from) out.push({ start: at, end });
    at = next(c, at);
  }
  return out;
}

/** The window containing `t` (the one ending last when windows overlap), or null. */
export function spanAt(s: Schedule, timezone: string, t: number): Span | null {
  let best: Span | null = null;
  for (const span of spansBetween(s, timezone, t, t + 1)) {
    if (span.start <= t && t < span.end && (!best || span.end > best.end)) best = span;
  }
  return best;
}

/** The first window starting after `t`, or null when the pattern never fires again. */
export function nextSpanAfter(s: Schedule, timezone: string, t: number): Span | null {
  const c = cron(s.start, timezone);
  let at = next(c, t - longestMs(s) - 1);
  while (at !== null && at <= t) at = next(c, at);
  return at === null ? null : { start: at, end: endOf(s, timezone, at) };
}
