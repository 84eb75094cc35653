/**
 * Maintenance schedules: the two accepted forms, parsed into croner patterns (a kept library:
 * croner evaluates cron patterns in a real IANA time zone through Intl, DST included — no date
 * arithmetic is written here).
 *
 * 1. `"<days> HH:MM-HH:MM"`, e.g. `"Sat 02:00-04:00"`, `"Mon-Fri 22:30-23:00"`, `"Sat,Sun 23:00-01:00"`,
 *    `"daily 03:00-03:15"`. Days are Mon..Sun (three letters, any case), ranges and comma lists.
 *    The window starts at HH:MM local time on those days and ends at the FIRST end time HH:MM
 *    local after the start (so `23:00-01:00` runs across midnight into the next day). Local wall
 *    time is kept across DST as croner resolves it: a start inside the hour skipped by
 *    spring-forward begins at 03:00 (the window is an hour shorter); an ambiguous start on the
 *    fall-back night is the later (standard-time) instant. Tested in test/contract/maintenance-schedule.test.ts.
 * 2. `{ cron: "0 2 * * 6", duration: "2h" }`: a 5-field cron start (croner syntax) and a duration
 *    (the `ms` format: `90m`, `2h`, `1d`), measured in elapsed time.
 */
import { Cron } from 'croner';
import ms from 'ms';

export type Schedule =
  /** Starts at `start` (cron), ends at the first `end` (cron, every day at the end time) after. */
  | { kind: 'days'; start: string; end: string; text: string }
  | { kind: 'cron'; start: string; durationMs: number; text: string };

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const FORM = /^\s*(\S+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/;
/** The longest a days-form window can last: just under a day, plus an hour of DST. */
export const DAYS_FORM_MAX_MS = 25 * 3600_000;

/** `Mon-Fri,Sun` → `1-5,0`; null when a name is unknown. */
function cronDays(spec: string): string | null {
  if (spec.toLowerCase() === 'daily') return '*';
  const out: string[] = [];
  for (const part of spec.toLowerCase().split(',')) {
    const range = part.split('-');
    if (range.length > 2) return null;
    const idx = range.map((d) => DAYS.indexOf(d as (typeof DAYS)[number]));
    if (idx.some((i) => i < 0)) return null;
    // A wrapping range (Sat-Mon) is written as two: croner wants low-high.
    if (idx.length === 2 && idx[0]! > idx[1]!) out.push(`${idx[0]}-6`, `0-${idx[1]}`);
    else out.push(idx.join('-'));
  }
  return out.join(',');
}

function clock(h: string, m: string): [number, number] | null {
  const hh = Number(h);
  const mm = Number(m);
  return hh <= 23 && mm <= 59 ? [hh, mm] : null;
}

/** A time zone Intl knows (IANA names like Europe/Berlin, or UTC); the problem otherwise. */
export function timeZoneProblem(tz: string): string | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return null;
  } catch {
    return `unknown time zone '${tz}' (an IANA name such as Europe/Berlin or UTC)`;
  }
}

/** Parses one schedule; `{ problem }` says what is wrong in one sentence. */
export function parseSchedule(raw: unknown): { schedule: Schedule } | { problem: string } {
  if (typeof raw === 'string') {
    const m = FORM.exec(raw);
    const days = m ? cronDays(m[1]!) : null;
    const from = m ? clock(m[2]!, m[3]!) : null;
    const to = m ? clock(m[4]!, m[5]!) : null;
    if (!m || days === null || !from || !to) {
      return {
        problem: `cannot parse schedule '${raw}': expected "<days> HH:MM-HH:MM" (e.g. "Sat 02:00-04:00", "Mon-Fri 22:00-23:00", "daily 03:00-03:30") or { cron, duration }`,
      };
    }
    if (from[0] === to[0] && from[1] === to[1])
      return { problem: `schedule '${raw}' starts and ends at the same time` };
    const schedule: Schedule = {
      kind: 'days',
      start: `${from[1]} ${from[0]} * * ${days}`,
      end: `${to[1]} ${to[0]} * * *`,
      text: raw.trim(),
    };
    return checked(schedule);
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const { cron, duration } = raw as Record<string, unknown>;
    if (typeof cron !== 'string' || typeof duration !== 'string')
      return { problem: 'a cron schedule is { cron: "<5 fields>", duration: "2h" }' };
    if (cron.trim().split(/\s+/).length !== 5)
      return { problem: `cron '${cron}' must have 5 fields (minute hour day month weekday)` };
    const durationMs = ms(duration as ms.StringValue);
    if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs <= 0)
      return { problem: `cannot parse duration '${duration}' (e.g. 90m, 2h, 1d)` };
    return checked({ kind: 'cron', start: cron.trim(), durationMs, text: `${cron.trim()} for ${duration}` });
  }
  return { problem: 'schedule must be a string like "Sat 02:00-04:00" or { cron, duration }' };
}

function checked(schedule: Schedule): { schedule: Schedule } | { problem: string } {
  try {
    new Cron(schedule.start, { paused: true });
    return { schedule };
  } catch (err) {
    return { problem: `cannot parse schedule '${schedule.text}': ${(err as Error).message}` };
  }
}
