/**
 * Speak once about refused callers: a bounded, clock-free counter of refusals (denied GraphQL
 * commands per principal, unsigned Slack requests per source). Time is passed in (`now`).
 *
 * - `refuse(who, what, now)` counts one refusal and says whether to write it now: at most one
 *   record per (who, what) per `reportEveryMs`, carrying how many refusals it stands for
 *   (`count`, `firstAt`, `lastAt`), so the audit log and the log stay small and honest.
 * - More than `maxPerWindow` refusals of one `who` within `windowMs` blocks it for `blockMs`:
 *   `retryAfterSec(who, now)` > 0 means "answer 429 with this Retry-After, do no work".
 * - Memory stays flat under a flood: both maps hold at most `maxKeys` entries; the least
 *   recently refused entry is forgotten first (its unreported count is lost, its block ends).
 */

export interface ThrottleOptions {
  /** One record per (who, what) per this period (default 60 s). */
  reportEveryMs?: number;
  /** Refusals of one caller within `windowMs` that are still answered normally (default 30). */
  maxPerWindow?: number;
  windowMs?: number;
  /** How long a caller over the threshold gets 429 (default 60 s). */
  blockMs?: number;
  /** Bound of each map (default 10,000). */
  maxKeys?: number;
}

export const THROTTLE_DEFAULTS: Required<ThrottleOptions> = {
  reportEveryMs: 60_000,
  maxPerWindow: 30,
  windowMs: 60_000,
  blockMs: 60_000,
  maxKeys: 10_000,
};

/** What to write for one refusal: nothing (counted), or a record standing for `count` refusals. */
export type RefusalVerdict =
  | { write: false }
  | { write: true; count: number; firstAt: number; lastAt: number };

interface Report {
  count: number;
  firstAt: number;
  lastAt: number;
  writtenAt: number;
}

interface Caller {
  windowStart: number;
  n: number;
  blockedUntil: number;
}

/** Map.set that keeps the entry most recent and the map within `max` (oldest dropped). */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

export class RefusalThrottle {
  private readonly o: Required<ThrottleOptions>;
  private readonly reports = new Map<string, Report>();
  private readonly callers = new Map<string, Caller>();

  constructor(options: ThrottleOptions = {}) {
    this.o = { ...THROTTLE_DEFAULTS, ...options };
  }

  get options(): Readonly<Required<ThrottleOptions>> {
    return this.o;
  }

  /** Counts one refusal of `who` for `what` at `now`. */
  refuse(who: string, what: string, now: number): RefusalVerdict {
    const c = this.callers.get(who);
    const caller: Caller =
      c && now - c.windowStart < this.o.windowMs
        ? { ...c, n: c.n + 1 }
        : { windowStart: now, n: 1, blockedUntil: c?.blockedUntil ?? 0 };
    if (caller.n > this.o.maxPerWindow)
      caller.blockedUntil = Math.max(caller.blockedUntil, now + this.o.blockMs);
    touch(this.callers, who, caller, this.o.maxKeys);

    const key = `${who}\u0000${what}`;
    const r = this.reports.get(key);
    if (!r || now - r.writtenAt >= this.o.reportEveryMs) {
      const count = (r?.count ?? 0) + 1;
      const firstAt = r && r.count > 0 ? r.firstAt : now;
      touch(this.reports, key, { count: 0, firstAt: now, lastAt: now, writtenAt: now }, this.o.maxKeys);
      return { write: true, count, firstAt, lastAt: now };
    }
    touch(
      this.reports,
      key,
      { ...r, count: r.count + 1, firstAt: r.count === 0 ? now : r.firstAt, lastAt: now },
      this.o.maxKeys,
    );
    return { write: false };
  }

  /** Whole seconds until `who` may be served again (0: not blocked). */
  retryAfterSec(who: string, now: number): number {
    const c = this.callers.get(who);
    if (!c || c.blockedUntil <= now) return 0;
    return Math.ceil((c.blockedUntil - now) / 1000);
  }

  /** Entries held (for tests: memory stays flat). */
  get size(): number {
    return this.reports.size + this.callers.size;
  }
}
