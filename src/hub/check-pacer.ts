/**
 * Paces the hub's checks of budget groups for the slot notification (budget-wait.ts): a check
 * asked for while one of the same group runs, or sooner than `everyMs` after its last start, runs
 * once when it may (asks meanwhile merge into it); at most `atOnce` groups are read at once, so
 * in a storm — a finish every few milliseconds in every group, nodes re-opening their waits —
 * the checks cannot take the database pool from the lease requests and finishes they serve.
 */
import type { Clock, Timer } from '../clock/clock.js';

export class CheckPacer {
  private readonly due = new Set<string>();
  private readonly running = new Set<string>();
  private readonly lastStart = new Map<string, number>();
  private timer: Timer | null = null;

  constructor(
    private readonly run: (key: string) => Promise<void>,
    private readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>,
    private readonly everyMs: number,
    private readonly atOnce: number,
  ) {}

  /** `key` should be checked: as soon as its pace allows. */
  ask(key: string): void {
    this.due.add(key);
    this.pump();
  }

  /** Forgets `key` (nothing to check for it any more). */
  drop(key: string): void {
    this.due.delete(key);
    if (!this.running.has(key)) this.lastStart.delete(key);
  }

  private pump(): void {
    const now = this.clock.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const key of [...this.due]) {
      if (this.running.size >= this.atOnce) break;
      if (this.running.has(key)) continue;
      const at = (this.lastStart.get(key) ?? Number.NEGATIVE_INFINITY) + this.everyMs;
      if (at > now) {
        wakeAt = Math.min(wakeAt, at);
        continue;
      }
      this.due.delete(key);
      this.running.add(key);
      this.lastStart.set(key, now);
      void this.run(key).finally(() => {
        this.running.delete(key);
        this.pump();
      });
    }
    if (wakeAt < Number.POSITIVE_INFINITY && this.timer === null) {
      this.timer = this.clock.setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        Math.max(0, wakeAt - now),
      );
    }
  }

  /** Stops the pending wake-up (the hub is closing). */
  close(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.due.clear();
  }
}
