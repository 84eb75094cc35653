/**
 * `medic events [--service S] [--since 1h] [--limit N] [--follow] [--json]`: the audit log,
 * oldest first; `--follow` then keeps printing events as medic commits them, from the
 * `recoveryEvents` subscription over graphql-ws, until Ctrl-C. The subscription starts before
 * the history is read, and events are printed once each (by id), so none falls in between.
 * `--json` prints one JSON object per line. `--node` narrows to one node; against the fleet hub
 * (whose event ids are `node/id`) each line names the node as `node/service`.
 */
import ms from 'ms';
import { type CliIo, EXIT_OK, UsageError, writeLine } from '../io.js';
import { type OpsTarget, request, subscribe } from './client.js';

const FIELDS = 'id node at service kind decision actor reason';

export interface EventLine {
  id: string;
  node?: string;
  at: string;
  service: string | null;
  kind: string;
  decision: string | null;
  actor: string | null;
  reason: string | null;
}

export interface EventsFlags {
  node?: string;
  service?: string;
  since?: string;
  limit?: string;
  follow?: boolean;
  json?: boolean;
}

export function formatEvent(e: EventLine): string {
  const what = e.decision && e.decision !== e.kind ? `${e.kind}/${e.decision}` : e.kind;
  // The hub's ids are `node/id`: several nodes' logs interleave, so say whose each line is.
  const where = e.id.includes('/') && e.node ? `${e.node}/${e.service ?? '-'}` : (e.service ?? '-');
  return `${e.at}  ${where.padEnd(16)} ${what}${e.actor ? ` by ${e.actor}` : ''}${e.reason ? `: ${e.reason}` : ''}`;
}

function sinceIso(text: string | undefined, now: number): string | undefined {
  if (!text) return undefined;
  const span = ms(text as ms.StringValue);
  if (typeof span === 'number' && Number.isFinite(span) && span > 0)
    return new Date(now - span).toISOString();
  if (!Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw new UsageError(`--since takes a duration (30m, 2h, 7d) or an ISO time (got '${text}')`);
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return 20;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new UsageError(`--limit takes 1..500 (got '${text}')`);
  return n;
}

/** Ctrl-C / SIGTERM end `--follow` (tests pass their own signal). */
function stopSignal(io: CliIo): AbortSignal {
  if (io.signal) return io.signal;
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return abort.signal;
}

export async function events(target: OpsTarget, flags: EventsFlags, io: CliIo): Promise<number> {
  const since = sinceIso(flags.since, io.clock.now());
  const first = limitOf(flags.limit);
  const printed = new Set<string>();
  const print = (e: EventLine) => {
    if (printed.has(e.id)) return;
    printed.add(e.id);
    writeLine(io.stdout, flags.json ? JSON.stringify(e) : formatEvent(e));
  };
  let following: Promise<void> | null = null;
  const early: EventLine[] = [];
  let historyDone = false;
  if (flags.follow) {
    const signal = stopSignal(io);
    let connected: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      connected = resolve;
    });
    following = subscribe<{ recoveryEvents: EventLine }>(
      target,
      `subscription($node: String, $service: String) { recoveryEvents(node: $node, service: $service) { ${FIELDS} } }`,
      { node: flags.node ?? null, service: flags.service ?? null },
      ({ recoveryEvents: e }) => (historyDone ? print(e) : early.push(e)),
      signal,
      connected,
    );
    await Promise.race([ready, following]);
  }
  const data = await request<{ events: { edges: { node: EventLine }[] } }>(
    target,
    `query($node: String, $service: String, $since: DateTime, $first: Int) {
      events(node: $node, service: $service, since: $since, first: $first) { edges { node { ${FIELDS} } } } }`,
    { node: flags.node ?? null, service: flags.service ?? null, since: since ?? null, first },
  );
  for (const { node } of [...data.events.edges].reverse()) print(node);
  historyDone = true;
  for (const e of early) print(e);
  if (following) await following;
  return EXIT_OK;
}
