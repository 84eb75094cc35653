/**
 * Incident <-> its saved row (kept by the API, `saveSlackIncident`). The row keeps what re-renders the parent after a restart (kind,
 * happened, at, findings, status lines, quiet); the live service state is re-read at render.
 */

import type { AlertLinkView, DriftFindingView } from '../blocks/incident.js';
import type { IncidentRow } from '../graphql/bot-ops.js';
import type { Time } from '../types.js';
import type { Incident } from './incident.js';

/** The consumer name of the bot's event cursor in the store. */
export const CURSOR_NAME = 'slack';

export function toRecord(inc: Incident, now: number): IncidentRow {
  return {
    key: inc.key,
    slot: inc.slot,
    service: inc.service,
    channel: inc.channel,
    ts: inc.ts,
    openedAt: inc.openedAt,
    closedAt: inc.resolved ? now : null,
    lastEventId: inc.lastEventId,
    data: {
      kind: inc.kind,
      happened: inc.happened,
      at: inc.at,
      findings: inc.findings ?? null,
      alert: inc.alert ?? null,
      status: inc.status,
      quiet: inc.quiet,
    },
  };
}

/** Null when the row's data is not something this bot wrote (it is then left alone). */
export function fromRecord(r: IncidentRow): Incident | null {
  const d = r.data as {
    kind?: unknown;
    happened?: unknown;
    at?: unknown;
    findings?: unknown;
    alert?: unknown;
    status?: unknown;
    quiet?: unknown;
  };
  if (typeof d.kind !== 'string' || typeof d.happened !== 'string') return null;
  return {
    key: r.key,
    slot: r.slot,
    service: r.service,
    kind: d.kind,
    happened: d.happened,
    at: (typeof d.at === 'number' || typeof d.at === 'string' ? d.at : null) as Time,
    findings: Array.isArray(d.findings) ? (d.findings as DriftFindingView[]) : undefined,
    alert: alertOf(d.alert),
    channel: r.channel,
    ts: r.ts,
    status: Array.isArray(d.status) ? d.status.filter((s): s is string => typeof s === 'string') : [],
    resolved: r.closedAt !== null,
    quiet: d.quiet === true,
    openedAt: r.openedAt,
    lastEventId: r.lastEventId,
  };
}

/** The saved alert link, when it has the shape the bot wrote. */
function alertOf(a: unknown): AlertLinkView | undefined {
  const v = a as { name?: unknown; url?: unknown } | null;
  return typeof v?.name === 'string' && typeof v.url === 'string' ? { name: v.name, url: v.url } : undefined;
}
