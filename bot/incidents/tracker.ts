/**
 * Incidents in the channel: one parent message per incident (service + episode), follow-ups in
 * its thread, the parent kept current with `chat.update` (render.ts).
 *
 * Events arrive through the intake (intake.ts: in order per service, deduped by id, the event
 * cursor kept). Each event carries the service as it left it (`serviceView`), so the parent
 * shows that state and only the buttons that still apply, without a second query; a refresh
 * (or an event without a view) reads the service over GraphQL.
 *
 * Everything goes through GraphQL (src/api/schema/types/bot.ts): incidents are saved on every
 * change (`saveSlackIncident`) and loaded back by `load()`, so after a restart follow-ups go to
 * the same thread and the parent is still updated in place; button ids come from
 * `ensurePendingActions`.
 */

import type { Logger } from '../../src/log.js';
import { loadEventCursor, loadIncidents, saveIncident } from '../graphql/bot-ops.js';
import type { ServiceWithApproval } from '../graphql/ops.js';
import { BOT_ACTOR } from '../roles.js';
import type { ChannelPoster } from '../slack/poster.js';
import type { BotClock, GraphqlFn, MedicEvent } from '../types.js';
import type { Incident } from './incident.js';
import { EventIntake } from './intake.js';
import { maintenancePrefix, suppressedByMaintenance } from './maintenance.js';
import {
  alertLinkOf,
  endsIncident,
  FOLLOW_UP_KINDS,
  findingsOf,
  happened,
  OPENING_KINDS,
  statusLine,
  summaryNote,
  threadNote,
} from './notes.js';
import { CURSOR_NAME, fromRecord, toRecord } from './persist.js';
import { renderIncident } from './render.js';

export type { Incident } from './incident.js';

export interface TrackerDeps {
  graphql: GraphqlFn;
  poster: ChannelPoster;
  channel: string;
  logger: Logger;
  clock: BotClock;
  timeZone: string;
}

export class IncidentTracker {
  /** Open (or latest) incident per slot: the service name, or `drift:<service|contract>`. */
  private readonly bySlot = new Map<string, Incident>();
  private readonly intake: EventIntake;
  /** Whether a cursor was saved before `load()` (else catch-up starts at the newest event). */
  hadCursor = false;

  constructor(private readonly deps: TrackerDeps) {
    this.intake = new EventIntake(deps, (slot, e) => this.apply(slot, e));
  }

  /** Highest numeric event id handed to `handle` (dedupe; for tests and benches to wait on). */
  get lastEventId(): number {
    return this.intake.lastEventId;
  }

  /** Loads the saved cursor and open incidents over GraphQL (before events are handled). */
  async load(): Promise<void> {
    const [cursor, rows] = await Promise.all([
      loadEventCursor(this.deps.graphql, BOT_ACTOR, CURSOR_NAME),
      loadIncidents(this.deps.graphql, BOT_ACTOR),
    ]);
    this.hadCursor = cursor !== null;
    this.intake.seen(cursor ?? 0);
    for (const row of rows) {
      const inc = fromRecord(row);
      if (inc) this.bySlot.set(inc.slot, inc);
    }
  }

  /**
   * Marks everything up to `id` as seen without handling it (the first start: history before
   * the bot existed is not posted).
   */
  skipTo(id: number): Promise<void> {
    return this.intake.skipTo(id);
  }

  /** Handles one medic event; resolves when its Slack messages were sent (or failed). */
  handle(e: MedicEvent): Promise<void> {
    return this.intake.handle(e);
  }

  /** Saves an incident (a failure is logged; memory stays current). */
  private async save(inc: Incident): Promise<void> {
    try {
      await saveIncident(this.deps.graphql, BOT_ACTOR, toRecord(inc, this.deps.clock.now()));
    } catch (err) {
      this.deps.logger.warn({ err, incident: inc.key }, 'slack incident not saved');
    }
  }

  /** Renders (from `view` when the event carried one), then saves whatever state the incident reached. */
  private async renderAndSave(inc: Incident, view?: ServiceWithApproval | null): Promise<void> {
    try {
      await renderIncident(this.deps, inc, view);
    } finally {
      await this.save(inc);
    }
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
  idle(): Promise<void> {
    return this.intake.idle();
  }

  private async apply(slot: string, e: MedicEvent): Promise<void> {
    let inc = this.bySlot.get(slot);
    const open = inc && !inc.resolved ? inc : undefined;
    if (e.kind === 'refresh') {
      if (open) await renderIncident(this.deps, open);
      return;
    }
    if (OPENING_KINDS.has(e.kind) && (!open || (open.quiet && e.kind !== open.kind))) {
      if (suppressedByMaintenance(e)) return; // expected during the window (maintenance.ts)
      if (open) {
        open.resolved = true;
        await this.renderAndSave(open, e.view);
      }
      inc = {
        key: `${slot}#${e.id}`,
        slot,
        service: e.service,
        kind: e.kind,
        happened: maintenancePrefix(e) + happened(e),
        at: e.at,
        findings: findingsOf(e),
        alert: alertLinkOf(e),
        channel: this.deps.channel,
        ts: null,
        status: [],
        resolved: false,
        quiet: e.stateTo === 'healthy' || (e.kind === 'hold_expired' && e.stateTo !== 'circuit_open'),
        openedAt: this.deps.clock.now(),
        lastEventId: Number.isInteger(Number(e.id)) ? Number(e.id) : 0,
      };
      this.bySlot.set(slot, inc);
      await this.renderAndSave(inc, e.view);
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
    const n = Number(e.id);
    if (Number.isInteger(n) && n > open.lastEventId) open.lastEventId = n;
    if (e.kind === 'restart_blocked') {
      // Only a refusal episode's periodic summary speaks in the thread (never per probe).
      const note = summaryNote(e, this.deps.timeZone);
      if (note && open.ts)
        await this.deps.poster.post({ channel: open.channel, thread_ts: open.ts, text: note });
      await this.renderAndSave(open, e.view); // counters moved
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
    await this.renderAndSave(open, e.view);
  }
}
