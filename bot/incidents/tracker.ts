/**
 * Incidents in the channel: one parent message per incident (service + episode), follow-ups in
 * its thread, the parent kept current with `chat.update`.
 *
 * Events are handled in order per service (a chain per incident key), so a thread note never
 * races its parent. Before every render the service is re-read over GraphQL, so the parent
 * shows the live state and only the buttons that still apply. Incidents are kept in memory
 * (after a medic restart the next event starts a new parent message).
 */
import type { Logger } from '../../src/log.js';
import { type DriftFindingView, incidentMessage } from '../blocks/incident.js';
import { fetchService, type ServiceWithApproval } from '../graphql/ops.js';
import { BOT_ACTOR } from '../roles.js';
import type { ChannelPoster } from '../slack/poster.js';
import type { BotClock, GraphqlFn, MedicEvent, PendingActionStore, Time } from '../types.js';
import { endsIncident, FOLLOW_UP_KINDS, happened, OPENING_KINDS, statusLine, threadNote } from './notes.js';
import { ensurePending } from './pending.js';

export interface Incident {
  /** `<service>#<event id>` of the opening event (`drift:<service|contract>#<id>` for drift). */
  key: string;
  slot: string;
  service: string | null;
  kind: string;
  happened: string;
  at: Time;
  findings?: DriftFindingView[];
  channel: string;
  ts: string | null;
  status: string[];
  resolved: boolean;
  /** Opened while the service was healthy (e.g. hold expired): the next opening event starts anew. */
  quiet: boolean;
}

export interface TrackerDeps {
  graphql: GraphqlFn;
  store: PendingActionStore;
  poster: ChannelPoster;
  channel: string;
  logger: Logger;
  clock: BotClock;
  timeZone: string;
}

function findingsOf(e: MedicEvent): DriftFindingView[] | undefined {
  const data = e.data as { findings?: unknown } | null | undefined;
  return Array.isArray(data?.findings) ? (data.findings as DriftFindingView[]) : undefined;
}

export class IncidentTracker {
  /** Open (or latest) incident per slot: the service name, or `drift:<service|contract>`. */
  private readonly bySlot = new Map<string, Incident>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Highest numeric event id handed to `handle` (for tests and benches to wait on). */
  lastEventId = 0;

  constructor(private readonly deps: TrackerDeps) {}

  /** Handles one medic event; resolves when its Slack messages were sent (or failed). */
  handle(e: MedicEvent): Promise<void> {
    const n = Number(e.id);
    if (Number.isFinite(n) && n > this.lastEventId) this.lastEventId = n;
    const slot = e.kind.startsWith('drift_') ? `drift:${e.service ?? 'contract'}` : e.service;
    if (!slot) return Promise.resolve();
    const prev = this.chains.get(slot) ?? Promise.resolve();
    const next = prev
      .then(() => this.apply(slot, e))
      .catch((err: unknown) =>
        this.deps.logger.error({ err, event: e.id, kind: e.kind }, 'slack incident update failed'),
      );
    this.chains.set(slot, next);
    void next.then(() => {
      if (this.chains.get(slot) === next) this.chains.delete(slot);
    });
    return next;
  }

  /** The current incident of a service (open, else the latest), for /go and App Home. */
  incidentOf(service: string): Incident | undefined {
    return this.bySlot.get(service);
  }

  /** Re-renders a service's open incident (e.g. after a click that changed nothing). */
  refresh(service: string): Promise<void> {
    const inc = this.bySlot.get(service);
    if (!inc || inc.resolved) return Promise.resolve();
    return this.handle({
      id: 'refresh',
      at: this.deps.clock.now(),
      service,
      kind: 'refresh',
      decision: null,
      actor: null,
      reason: null,
    });
  }

  /** Resolves when every queued event has been handled. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  private async apply(slot: string, e: MedicEvent): Promise<void> {
    let inc = this.bySlot.get(slot);
    const open = inc && !inc.resolved ? inc : undefined;
    if (e.kind === 'refresh') {
      if (open) await this.render(open);
      return;
    }
    if (OPENING_KINDS.has(e.kind) && (!open || (open.quiet && e.kind !== open.kind))) {
      if (open) {
        open.resolved = true;
        await this.render(open);
      }
      inc = {
        key: `${slot}#${e.id}`,
        slot,
        service: e.service,
        kind: e.kind,
        happened: happened(e),
        at: e.at,
        findings: findingsOf(e),
        channel: this.deps.channel,
        ts: null,
        status: [],
        resolved: false,
        quiet: e.stateTo === 'healthy' || (e.kind === 'hold_expired' && e.stateTo !== 'circuit_open'),
      };
      this.bySlot.set(slot, inc);
      await this.render(inc);
      return;
    }
    if (!open) {
      // A state change made from Slack with no incident open is still worth one line.
      const note =
        e.actor?.startsWith('slack:') && FOLLOW_UP_KINDS.has(e.kind)
          ? threadNote(e, this.deps.timeZone)
          : null;
      if (note) await this.deps.poster.post({ channel: this.deps.channel, text: `*${e.service}*: ${note}` });
      return;
    }
    if (e.kind === 'restart_blocked') {
      await this.render(open); // counters moved; no thread noise for every blocked attempt
      return;
    }
    if (!FOLLOW_UP_KINDS.has(e.kind) && !endsIncident(e)) return;
    const status = statusLine(e, this.deps.timeZone);
    if (status && open.status.at(-1) !== status) open.status.push(status);
    if (e.kind === 'drift_detected') open.findings = findingsOf(e) ?? open.findings;
    if (endsIncident(e)) open.resolved = true;
    const note = threadNote(e, this.deps.timeZone);
    if (note && open.ts) {
      await this.deps.poster.post({ channel: open.channel, thread_ts: open.ts, text: note });
    }
    await this.render(open);
  }

  /** Posts the parent (first time) or updates it in place, from freshly read state. */
  private async render(inc: Incident): Promise<void> {
    let info: ServiceWithApproval | null = null;
    if (inc.service && !inc.slot.startsWith('drift:')) {
      info = await fetchService(this.deps.graphql, BOT_ACTOR, inc.service);
    }
    const now = this.deps.clock.now();
    const pending = info && !inc.resolved ? ensurePending(this.deps.store, info, inc.key, now) : {};
    const msg = incidentMessage({
      kind: inc.kind,
      service: inc.service,
      info,
      happened: inc.happened,
      at: inc.at,
      findings: inc.findings,
      status: inc.status,
      resolved: inc.resolved,
      pending,
      runbookUrl: info?.recommendedAction.runbookUrl ?? null,
      timeZone: this.deps.timeZone,
    });
    if (inc.ts === null) {
      const posted = await this.deps.poster.post({
        channel: inc.channel,
        text: msg.text,
        blocks: msg.blocks,
      });
      inc.channel = posted.channel;
      inc.ts = posted.ts;
      this.deps.logger.info({ incident: inc.key, ts: inc.ts }, 'slack incident posted');
    } else {
      await this.deps.poster.update({ channel: inc.channel, ts: inc.ts, text: msg.text, blocks: msg.blocks });
    }
  }
}
