/** Small text helpers for Block Kit messages (times, durations, escaping). */
import type { Time } from '../types.js';

export function toMs(t: Time | undefined): number | null {
  if (t === null || t === undefined) return null;
  if (typeof t === 'number') return t;
  const n = Date.parse(t);
  return Number.isNaN(n) ? null : n;
}

/** `HH:MM` in the given time zone (default UTC). */
export function hhmm(t: Time | undefined, timeZone = 'UTC'): string {
  const ms = toMs(t);
  if (ms === null) return '—';
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone,
  }).format(new Date(ms));
}

/** 90 → "1 min 30 s", 7200 → "2 h". */
export function duration(sec: number): string {
  if (sec < 60) return `${Math.round(sec)} s`;
  if (sec < 3600) {
    const m = Math.floor(sec / 60);
    const s = Math.round(sec % 60);
    return s ? `${m} min ${s} s` : `${m} min`;
  }
  const h = Math.floor(sec / 3600);
  const m = Math.round((sec % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `s` to at most `max` characters, marking the cut with an ellipsis. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** Parses `30m`, `2h`, `1h30m`, `45s`, `1d` into seconds; null when malformed or zero. */
export function parseTtl(text: string): number | null {
  const re = /(\d+)\s*(d|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  const s = text.trim().toLowerCase();
  re.lastIndex = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as 'd' | 'h' | 'm' | 's'];
    matched = re.lastIndex;
  }
  if (matched !== s.length || total <= 0) return null;
  return total;
}
