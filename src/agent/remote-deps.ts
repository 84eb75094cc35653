/**
 * What this agent knows of the services on other nodes that its services depend on (fleet
 * dependencies, `dependsOn: [node-b/db]`; issue 18). The shipper names them in every batch
 * (`watch`) and hands the hub's answer (`remote`) to `received()`; the engine asks `verdict(id)`
 * for each decision and hears every change through `onChange` (it nudges dependents when a
 * dependency stops being down, and audits a state turning unknown once).
 *
 * Unknown is not down (core/dependency.ts judgeRemote): before the hub first answered, when the
 * hub holds no such service, or once the state is older than the node's silence — counting the
 * time since this agent heard it, on the monotonic clock, so a hub that stops answering makes
 * every remote state stale after the silence too (one timer at the earliest such moment).
 */
import type { Clock, Timer } from '../clock/clock.js';
import { isUp, judgeRemote, type RemoteReport, type RemoteVerdict, staleInMs } from '../core/dependency.js';
import type { ServiceState } from '../core/types.js';
import type { RemoteState } from '../fleet/protocol.js';

type Listener = (id: string, now: RemoteVerdict, before: RemoteVerdict) => void;

export class RemoteDependencies {
  private readonly reports = new Map<string, { report: RemoteReport; heardAt: number }>();
  private readonly last = new Map<string, RemoteVerdict>();
  private readonly listeners = new Set<Listener>();
  private timer: Timer | null = null;

  /** `ids`: every `node/name` the contract's services depend on (order kept, duplicates dropped). */
  constructor(
    ids: readonly string[],
    private readonly clock: Pick<Clock, 'monotonic' | 'setTimeout' | 'clearTimeout'>,
  ) {
    for (const id of ids) this.last.set(id, { known: false, reason: 'no_answer' });
  }

  /** The services to name in the next batch. */
  watched(): string[] {
    return [...this.last.keys()];
  }

  /** The hub's answer of one ship round (every watched id it answered). */
  received(remote: readonly RemoteState[]): void {
    const at = this.clock.monotonic();
    for (const r of remote) {
      if (!this.last.has(r.id)) continue;
      this.reports.set(r.id, {
        report: { state: r.state as ServiceState | null, ageMs: r.ageMs, staleAfterMs: r.staleAfterMs },
        heardAt: at,
      });
    }
    this.evaluate();
  }

  verdict(id: string): RemoteVerdict {
    const heard = this.reports.get(id);
    return judgeRemote(heard?.report, heard ? this.clock.monotonic() - heard.heardAt : 0);
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  /** Tells the listeners what changed since the last evaluation; re-arms the staleness timer. */
  private evaluate(): void {
    const now = this.clock.monotonic();
    let next: number | null = null;
    for (const [id, before] of this.last) {
      const v = this.verdict(id);
      if (!same(v, before)) {
        this.last.set(id, v);
        for (const l of this.listeners) l(id, v, before);
      }
      const heard = this.reports.get(id);
      const due = v.known && heard ? staleInMs(heard.report, now - heard.heardAt) : null;
      if (due !== null && (next === null || due < next)) next = due;
    }
    this.clock.clearTimeout(this.timer);
    this.timer = next === null ? null : this.clock.setTimeout(() => this.evaluate(), next);
  }
}

/** Same for the engine: the same knowledge (why unknown), or the same state tag and up-ness. */
function same(a: RemoteVerdict, b: RemoteVerdict): boolean {
  if (a.known && b.known) return a.state.tag === b.state.tag && isUp(a.state) === isUp(b.state);
  if (!a.known && !b.known) return a.reason === b.reason;
  return false;
}
