/**
 * The recorded inputs replay feeds on: every decision event of the audit log carries the input
 * decide() was given (`input`), its time (`at`) and its service. Read in commit order (id), which
 * is the order the engine decided them in, per service.
 */
import type { AuditEvent } from '../core/audit.js';
import type { Store } from '../store/types.js';
import type { RecordedInput } from './replay.js';

const PAGE = 500;
const DAY_MS = 86_400_000;

export interface Period {
  since: number;
  until: number;
}

/** The last `days` days up to `now`. */
export function lastDays(days: number, now: number): Period {
  return { since: now - days * DAY_MS, until: now };
}

/** Decision events (with their input) in the period, per service, in commit order. */
export function recordedInputs(
  store: Pick<Store, 'listEvents'>,
  period: Period,
  services?: readonly string[],
): Map<string, RecordedInput[]> {
  const wanted = services ? new Set(services) : null;
  const out = new Map<string, RecordedInput[]>();
  for (const e of decisionEvents(store, period, services?.length === 1 ? services[0] : undefined)) {
    if (wanted && !wanted.has(e.service as string)) continue;
    const list = out.get(e.service as string) ?? [];
    if (list.length === 0) out.set(e.service as string, list);
    list.push({ at: e.at, service: e.service as string, input: e.input! });
  }
  return out;
}

/** Every decision event in the period (optionally of one service), oldest first. */
export function* decisionEvents(
  store: Pick<Store, 'listEvents'>,
  period: Period,
  service?: string,
): Generator<AuditEvent> {
  let after: number | undefined;
  for (;;) {
    const page = store.listEvents({
      since: period.since,
      first: PAGE,
      order: 'asc',
      ...(service !== undefined ? { service } : {}),
      ...(after !== undefined ? { after } : {}),
    });
    for (const e of page.events) {
      if (e.at > period.until) continue;
      if (e.decision !== null && e.input !== null && e.service !== null) yield e;
    }
    if (!page.hasMore || page.events.length === 0) return;
    after = page.events[page.events.length - 1].id;
  }
}
