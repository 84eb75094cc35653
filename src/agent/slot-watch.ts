/**
 * The node's one slot notification (issue 16): every waiting service of this agent watches
 * through it, and it holds **one** wait open at the hub for all of them (`WAIT_PATH`, at most
 * `MAX_WAITS` services; the rest join when those leave), so 1,000 nodes hold 1,000 connections
 * at the hub, not one per waiting service.
 *
 * - `watch(group, service, signal)` resolves `free` when the hub names the service (it should ask
 *   for its lease now), `failed` when the node's wait failed (every watcher is told: the hub is
 *   down or too old), `bound` when `signal` aborts (the service stopped waiting). A wait the hub
 *   held to its bound is re-opened at once; the watchers never see it.
 * - A hub that is there but could not hold the wait (`busy`: a 5xx answer, no answer in time —
 *   overloaded in a storm) is asked again after `BUSY_PAUSE_MS` (up to twice that, spread per
 *   node); the watchers are not told (telling them would turn a busy hub into a herd of re-asks).
 * - A service that starts waiting while a wait is open is added by re-opening it `GATHER_MS`
 *   later, so the services of one storm join in one re-open. The open one is not torn down: the
 *   hub answers a node's older wait with none as soon as its newer one arrives (its connection
 *   goes back to the pool); a service an older wait still names is told all the same. One that
 *   stops waiting is dropped at the next re-open (a name the hub gives for it is ignored); the
 *   wait is aborted when nobody watches any more.
 */
import type { Clock, Timer } from '../clock/clock.js';
import { MAX_WAITS } from '../fleet/budget-protocol.js';
import type { WaitedFor } from '../fleet/slot-notice.js';
import type { SlotWait } from './budget-client.js';

/** How one wait of the node is sent (the hub client's `waitForSlots`, or a bench's poster). */
export type WaitTransport = (
  waits: WaitedFor[],
  signal: AbortSignal,
) => Promise<WaitedFor[] | 'busy' | 'failed'>;

/** How long services that start waiting gather before the open wait is re-opened with them. */
export const GATHER_MS = 50;
/** After a `busy` hub, the wait is sent again this much later (up to twice it, at random). */
export const BUSY_PAUSE_MS = 1000;

interface Watcher {
  group: string;
  service: string;
  settle(outcome: SlotWait): void;
}

const keyOf = (w: WaitedFor) => `${w.group}\u0000${w.service}`;

export class NodeSlotWatch {
  private readonly watchers = new Map<string, Watcher>();
  private open: { ctrl: AbortController; keys: Set<string> } | null = null;
  private gather: Timer | null = null;
  /** Waits sent so far (re-opens included). */
  opened = 0;

  constructor(
    private readonly transport: WaitTransport,
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
    /** Spreads the pause after a busy hub (tests pin it). */
    private readonly random: () => number = Math.random,
  ) {}

  /** Services watching now. */
  size(): number {
    return this.watchers.size;
  }

  /** True while the node's wait is open at the hub (one connection). */
  holding(): boolean {
    return this.open !== null;
  }

  watch(group: string, service: string, signal: AbortSignal): Promise<SlotWait> {
    const key = keyOf({ group, service });
    this.watchers.get(key)?.settle('bound');
    return new Promise<SlotWait>((resolve) => {
      if (signal.aborted) return resolve('bound');
      const watcher: Watcher = {
        group,
        service,
        settle: (outcome) => {
          if (this.watchers.get(key) !== watcher) return;
          this.watchers.delete(key);
          signal.removeEventListener('abort', onAbort);
          if (this.watchers.size === 0) this.close();
          resolve(outcome);
        },
      };
      const onAbort = () => watcher.settle('bound');
      signal.addEventListener('abort', onAbort, { once: true });
      this.watchers.set(key, watcher);
      if (!this.open) this.send();
      else if (!this.open.keys.has(key) && this.open.keys.size < MAX_WAITS && !this.gather)
        this.gather = this.clock.setTimeout(() => this.send(), GATHER_MS);
    });
  }

  /** Ends the open wait (nobody watches any more). */
  private close(): void {
    this.clock.clearTimeout(this.gather);
    this.gather = null;
    this.open?.ctrl.abort();
    this.open = null;
  }

  /** (Re-)opens the node's wait for the watchers now (the first MAX_WAITS). */
  private send(): void {
    this.clock.clearTimeout(this.gather);
    this.gather = null;
    if (this.watchers.size === 0) {
      this.close();
      return;
    }
    // The open wait is left to the hub, which answers it with none once this one arrives.
    const waits = [...this.watchers.values()]
      .slice(0, MAX_WAITS)
      .map(({ group, service }) => ({ group, service }));
    const ctrl = new AbortController();
    const open = { ctrl, keys: new Set(waits.map(keyOf)) };
    this.open = open;
    this.opened++;
    void this.transport(waits, ctrl.signal).then(
      (answer) => this.answered(open, answer),
      () => this.answered(open, 'failed'),
    );
  }

  private answered(open: NonNullable<NodeSlotWatch['open']>, answer: WaitedFor[] | 'busy' | 'failed'): void {
    if (this.open !== open) {
      // Re-opened meanwhile: what it names is still news; its failure or end is not.
      if (Array.isArray(answer)) for (const w of answer) this.watchers.get(keyOf(w))?.settle('free');
      return;
    }
    if (answer === 'busy') {
      // Held as open (no other send) until the pause ends; a watcher joining meanwhile waits for it.
      const pause = BUSY_PAUSE_MS * (1 + this.random());
      this.clock.clearTimeout(this.gather);
      this.gather = this.clock.setTimeout(() => this.send(), pause);
      return;
    }
    this.open = null;
    if (answer === 'failed') {
      for (const key of open.keys) this.watchers.get(key)?.settle('failed');
      // The services beyond MAX_WAITS were not in it: they are told too (the hub failed).
      for (const w of [...this.watchers.values()]) w.settle('failed');
    } else for (const w of answer) this.watchers.get(keyOf(w))?.settle('free');
    if (!this.open) this.send();
  }
}
