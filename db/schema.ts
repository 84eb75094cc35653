/**
 * medic's SQLite schema (drizzle sqlite-core). Migrations under db/migrations are generated
 * from this file with `npm run db:generate` and applied on open (src/store/sqlite.ts).
 *
 * Written so a PostgreSQL twin (drizzle pg-core) can follow column for column: timestamps are
 * epoch milliseconds in integer columns (pg: bigint), JSON is text (pg: jsonb), booleans are
 * integers in boolean mode, and no SQLite-only column types are used.
 *
 * The audit log (`events`) is append-only: no code path updates or deletes its rows.
 */
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Services medic knows about (from the runtime contract). */
export const services = sqliteTable('services', {
  name: text('name').primaryKey(),
  unit: text('unit').notNull(),
});

/** The current state of each service: the truth the in-memory engine cache is rebuilt from. */
export const serviceState = sqliteTable('service_state', {
  service: text('service')
    .primaryKey()
    .references(() => services.name),
  /** ServiceState (core/types.ts) as JSON. */
  state: text('state', { mode: 'json' }).notNull(),
  policyHash: text('policy_hash'),
  updatedAt: integer('updated_at').notNull(),
  /** Optimistic concurrency: incremented by every commit; a commit names the version it read. */
  version: integer('version').notNull(),
  /**
   * The monotonic clock at `updated_at` (ms) and its origin (the boot id): how the state is
   * re-based on start (docs/CORE.md "Time"). Null in rows written before they existed.
   */
  monoAt: integer('mono_at'),
  monoOrigin: text('mono_origin'),
});

/** The append-only audit log: one row per decision, plus non-decision events. */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    service: text('service'),
    kind: text('kind').notNull(),
    decision: text('decision'),
    taken: integer('taken', { mode: 'boolean' }),
    input: text('input', { mode: 'json' }),
    actor: text('actor'),
    reason: text('reason'),
    stateFrom: text('state_from'),
    stateTo: text('state_to'),
    counters: text('counters', { mode: 'json' }),
    effects: text('effects', { mode: 'json' }).notNull(),
    mode: text('mode'),
    data: text('data', { mode: 'json' }),
  },
  (t) => [
    index('events_service_id').on(t.service, t.id),
    index('events_kind_id').on(t.kind, t.id),
    index('events_at').on(t.at),
  ],
);

/**
 * Effect intents: written in the decision's transaction, completed when the effect's outcome
 * is known. An intent still open after a crash is reconciled, never re-executed blindly.
 */
export const intents = sqliteTable(
  'intents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    service: text('service').notNull(),
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id),
    effect: text('effect', { mode: 'json' }).notNull(),
    decidedAt: integer('decided_at').notNull(),
    /** null while open; 'succeeded' | 'failed' | 'done' | 'shadow' | 'unknown_after_crash' | ... */
    outcome: text('outcome'),
    completedAt: integer('completed_at'),
  },
  (t) => [
    index('intents_open').on(t.service, t.id).where(sql`${t.outcome} IS NULL`),
    index('intents_event').on(t.eventId),
  ],
);

/** Operator holds, current (released_at null) and past. */
export const holds = sqliteTable(
  'holds',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    service: text('service').notNull(),
    actor: text('actor').notNull(),
    reason: text('reason').notNull(),
    setAt: integer('set_at').notNull(),
    until: integer('until').notNull(),
    releasedAt: integer('released_at'),
    releasedBy: text('released_by'),
  },
  (t) => [index('holds_service').on(t.service, t.id)],
);

/** Single-use action ids carried by Slack buttons and runbook links. */
export const pendingActions = sqliteTable(
  'pending_actions',
  {
    id: text('id').primaryKey(),
    service: text('service').notNull(),
    kind: text('kind').notNull(),
    incident: text('incident').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    usedBy: text('used_by'),
  },
  (t) => [index('pending_actions_service').on(t.service, t.createdAt)],
);

/** API bearer tokens: only the SHA-256 of the secret is stored. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    role: text('role').notNull(),
    /** hex SHA-256 of the token secret. */
    hash: text('hash').notNull(),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('api_tokens_name').on(t.name), uniqueIndex('api_tokens_hash').on(t.hash)],
);

/** Every applied policy set; exactly one row is active once any policy was applied. */
export const policyVersions = sqliteTable(
  'policy_versions',
  {
    version: integer('version').primaryKey(),
    hash: text('hash').notNull(),
    content: text('content', { mode: 'json' }).notNull(),
    author: text('author').notNull(),
    reason: text('reason').notNull(),
    createdAt: integer('created_at').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [uniqueIndex('policy_versions_one_active').on(t.active).where(sql`${t.active} = 1`)],
);

/**
 * Slack incidents (bot/incidents/tracker.ts): one row per incident (service + episode) so that
 * after a restart follow-ups go to the same thread. `closed_at` is null while open; `data` holds
 * what re-renders the parent (kind, happened, at, findings, status lines, quiet).
 */
export const slackIncidents = sqliteTable(
  'slack_incidents',
  {
    /** `<service>#<event id>` of the opening event (`drift:<service|contract>#<id>` for drift). */
    key: text('key').primaryKey(),
    /** The service name, or `drift:<service|contract>`: at most one open incident per slot. */
    slot: text('slot').notNull(),
    service: text('service'),
    channel: text('channel').notNull(),
    /** Parent message ts (null until posted). */
    ts: text('ts'),
    openedAt: integer('opened_at').notNull(),
    closedAt: integer('closed_at'),
    lastEventId: integer('last_event_id').notNull(),
    data: text('data', { mode: 'json' }).notNull(),
  },
  (t) => [index('slack_incidents_open').on(t.slot).where(sql`${t.closedAt} IS NULL`)],
);

/** Per-consumer event cursors: the highest event id the consumer (e.g. `slack`) fully handled. */
export const botCursors = sqliteTable('bot_cursors', {
  name: text('name').primaryKey(),
  eventId: integer('event_id').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * Handled Slack requests (bot/receiver.ts through the replay guard): a key per delivery
 * (`event:<id>`, `action:…`, `command:<trigger>`) and per signed request (`sig:<hash>`), kept
 * until `expires_at` (past the signature window) so a replay is refused even after a restart.
 */
export const slackReplays = sqliteTable(
  'slack_replays',
  {
    key: text('key').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('slack_replays_expires').on(t.expiresAt)],
);

/**
 * The serving instance (src/store/instance.ts): at most one row (`id` = 1), written by the
 * `medic serve` that holds the database. It lives in the database file itself, so every path to
 * the file (symlink, hard link, bind mount) sees it and deleting side files cannot remove it.
 */
export const serveInstance = sqliteTable('serve_instance', {
  id: integer('id').primaryKey(),
  pid: integer('pid').notNull(),
  host: text('host').notNull(),
  /** /proc/sys/kernel/random/boot_id: the same boot, so `pid` can be checked exactly. */
  bootId: text('boot_id').notNull(),
  /** The pid namespace (/proc/self/ns/pid link), so pids are comparable. */
  pidNs: text('pid_ns').notNull(),
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22): pid reuse. */
  procStart: text('proc_start').notNull(),
  /** The database file's device and inode when claimed: a copy of the file is another file. */
  dev: text('dev').notNull(),
  ino: text('ino').notNull(),
  startedAt: integer('started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
  /**
   * Scratch space for the recovery probe: while the store is failing, a heartbeat writes 64 KiB
   * here (more than a decision commit), so "a commit succeeds again" means a decision would too.
   */
  probe: blob('probe'),
});

/**
 * Alertmanager deliveries already acted on (src/store/alerts.ts): one row per dedupe key
 * (`fingerprint|startsAt|status`, core/alerts.ts), so a retry, a repeat_interval re-send or the
 * second replica of an HA pair acts once, also after medic restarts. Pruned after a retention.
 */
export const alertDeliveries = sqliteTable(
  'alert_deliveries',
  {
    key: text('key').primaryKey(),
    /** The alert's fingerprint: a delivery of an alert still firing is never pruned. */
    fingerprint: text('fingerprint').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('alert_deliveries_received').on(t.receivedAt)],
);

/**
 * Alerts firing now, per service they act on (set on firing, deleted on resolved): a `hold`
 * alert's end releases the service only when no other hold-alert still fires for it.
 */
export const alertsFiring = sqliteTable(
  'alerts_firing',
  {
    fingerprint: text('fingerprint').notNull(),
    service: text('service').notNull(),
    action: text('action').notNull(),
    since: integer('since').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fingerprint, t.service] })],
);

/**
 * Open escalation episodes (src/escalation): at most one per service, from the trigger that
 * opened it until its resolve. Its dedup key is what PagerDuty and webhook receivers dedupe on.
 */
export const escalationEpisodes = sqliteTable('escalation_episodes', {
  service: text('service').primaryKey(),
  dedupKey: text('dedup_key').notNull(),
  trigger: text('trigger').notNull(),
  openedAt: integer('opened_at').notNull(),
  eventId: integer('event_id').notNull(),
});

/**
 * The escalation outbox (store/escalations.ts): one row per message and target, written with its
 * episode change; delivered at least once with retries (next_attempt_at), settled by delivered_at
 * or failed_at (given up: an escalation_failed event).
 */
export const escalationOutbox = sqliteTable(
  'escalation_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    target: text('target').notNull(),
    dedupKey: text('dedup_key').notNull(),
    action: text('action').notNull(),
    /** The target-neutral message (src/escalation/message.ts) as JSON; never a secret. */
    message: text('message').notNull(),
    createdAt: integer('created_at').notNull(),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    deliveredAt: integer('delivered_at'),
    failedAt: integer('failed_at'),
    lastError: text('last_error'),
  },
  (t) => [
    index('escalation_outbox_pending')
      .on(t.nextAttemptAt)
      .where(sql`${t.deliveredAt} IS NULL AND ${t.failedAt} IS NULL`),
    index('escalation_outbox_key').on(t.target, t.dedupKey, t.id),
  ],
);

/**
 * Ad hoc maintenance windows (issue 18; src/store/maintenance.ts): scheduled from GraphQL, the
 * CLI or Slack, each audited with its actor. `services` is a JSON list of names, or the string
 * `all`. A cancelled window keeps its row (cancelled_at, cancelled_by); [from_at, until_at).
 */
export const maintenanceWindows = sqliteTable(
  'maintenance_windows',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    services: text('services', { mode: 'json' }).notNull(),
    mode: text('mode').notNull(),
    fromAt: integer('from_at').notNull(),
    untilAt: integer('until_at').notNull(),
    reason: text('reason').notNull(),
    actor: text('actor').notNull(),
    createdAt: integer('created_at').notNull(),
    cancelledAt: integer('cancelled_at'),
    cancelledBy: text('cancelled_by'),
    /** Escalations and new Slack incidents during the window: sent marked (true) or suppressed. */
    notify: integer('notify', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('maintenance_windows_until').on(t.untilAt)],
);

/**
 * The store's identity (fleet mode, docs/FLEET.md): one row (`id` = 1) with a random id made
 * when the database is created (or first migrated), shipped with every batch to the hub. A
 * replaced database has another id, so the hub knows its event ids start again at 1.
 */
export const storeIdentity = sqliteTable('store_identity', {
  id: integer('id').primaryKey(),
  storeId: text('store_id').notNull(),
  createdAt: integer('created_at').notNull(),
});
