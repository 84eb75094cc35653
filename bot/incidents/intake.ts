/**
 * The tracker's intake of medic events: ordered per slot, deduped by id, and the bot's stored
 * event cursor kept honest.
 *
 * Events of one slot (a service, or `drift:<service|contract>`) are handled one after the other
 * (a chain per slot), so a thread note never races its parent; slots run side by side. An event
 * whose id is at or below the highest one seen is ignored, so catch-up and live delivery may
 * overlap. The cursor saved over GraphQL (`advanceEventCursor`) is the highest id below which
 * every event was fully handled — an event still in flight holds it back — so a restart
 * re-delivers exactly the unfinished ones (catch-up.ts).
 */
import type { Logger } from '../../src/log.js';
import { advanceEventCursor } from '../graphql/bot-ops.js';
import { BOT_ACTOR } from '../roles.js';
import type { GraphqlFn, MedicEvent } from '../types.js';
import { CURSOR_NAME } from './persist.js';

/** The slot an event belongs to; null for events no incident is about. */
export function slotOf(e: MedicEvent): string | null {
  return e.kind.startsWith('drift_') ? `drift:${e.service ?? 'contract'}` : e.service;
}

export class EventIntake {
  /** Highest numeric event id handed to `handle` (dedupe; for tests and benches to wait on). */
  lastEventId = 0;
  private readonly chains = new Map<string, Promise<void>>();
  /** Ids handed to `handle` whose work is not finished yet (they hold the stored cursor back). */
  private readonly inFlight = new Set<number>();
  /** Cursor writes not answered yet (idle() waits for them). */
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly deps: { graphql: GraphqlFn; logger: Logger },
    /** The work one event causes in its slot. */
    private readonly work: (slot: string, e: MedicEvent) => Promise<void>,
  ) {}

  /** Starts from a saved cursor (ids at or below it count as seen). */
  seen(id: number): void {
    if (id > this.lastEventId) this.lastEventId = id;
  }

  /** Marks everything up to `id` as seen without handling it, and saves the cursor. */
  skipTo(id: number): Promise<void> {
    this.seen(id);
    return this.persistCursor();
  }

  /** Queues one event in its slot; resolves when its work is done (or failed, logged). */
  handle(e: MedicEvent): Promise<void> {
    const n = Number(e.id);
    const numbered = Number.isInteger(n);
    if (numbered) {
      if (n <= this.lastEventId) return Promise.resolve(); // already handled (catch-up overlap)
      this.lastEventId = n;
    }
    const slot = slotOf(e);
    if (!slot) {
      if (numbered) void this.persistCursor();
      return Promise.resolve();
    }
    if (numbered) this.inFlight.add(n);
    const prev = this.chains.get(slot) ?? Promise.resolve();
    const next = prev
      .then(() => this.work(slot, e))
      .catch((err: unknown) =>
        this.deps.logger.error({ err, event: e.id, kind: e.kind }, 'slack incident update failed'),
      )
      .finally(() => {
        if (!numbered) return;
        this.inFlight.delete(n);
        void this.persistCursor();
      });
    this.chains.set(slot, next);
    void next.then(() => {
      if (this.chains.get(slot) === next) this.chains.delete(slot);
    });
    return next;
  }

  /** Resolves when every queued event has been handled and every cursor write answered. */
  async idle(): Promise<void> {
    while (this.chains.size > 0 || this.writes.size > 0)
      await Promise.allSettled([...this.chains.values(), ...this.writes]);
  }

  /** Saves the highest id below which nothing is in flight (the API never moves it backwards). */
  private persistCursor(): Promise<void> {
    const done = this.inFlight.size === 0 ? this.lastEventId : Math.min(...this.inFlight) - 1;
    const write = advanceEventCursor(this.deps.graphql, BOT_ACTOR, CURSOR_NAME, done).catch((err: unknown) =>
      this.deps.logger.warn({ err }, 'slack event cursor not saved'),
    );
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
    return write;
  }
}
