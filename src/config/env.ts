/**
 * The process environment, validated once (the only module that reads `process.env`).
 *
 * Every problem is reported at once; `loadEnv()` throws a `ConfigError` listing them and the
 * CLI turns that into exit code 2. Empty strings count as unset, so `FOO=` in a .env file
 * falls back to the default instead of failing.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess(emptyAsUndefined, schema.default(fallback as never));
const idList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Z0-9]+$/, 'Slack user ids look like U012ABCDEF')));
const groupList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^S[A-Z0-9]+$/, 'Slack user group ids look like S012ABCDEF')));

/** Why a PEM file cannot be used (unreadable, or no PEM block in it), or null. */
function pemProblem(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  return text.includes('-----BEGIN ') ? null : `${path} is not a PEM file (no -----BEGIN line)`;
}
/** A path to a readable PEM file (certificate, key or CA bundle); read again where it is used. */
const pemFile = z.string().superRefine((path, ctx) => {
  const problem = pemProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const envSchema = z.object({
  MEDIC_DB: withDefault(z.string(), './data/medic.db'),
  MEDIC_HOST: withDefault(z.string(), '127.0.0.1'),
  MEDIC_PORT: withDefault(z.coerce.number().int().min(0).max(65535), 4000),
  LOG_LEVEL: withDefault(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  MEDIC_CONTRACT: opt(z.string()),
  MEDIC_DRIFT_INTERVAL_SEC: withDefault(z.coerce.number().positive(), 300),
  MEDIC_POLL_INTERVAL_MS: withDefault(z.coerce.number().int().min(50), 1000),
  /** How often services without an HTTP health check are judged by their unit state. */
  MEDIC_STATE_PROBE_INTERVAL_MS: withDefault(z.coerce.number().int().min(100), 10_000),
  /**
   * How often D-Bus detection proves itself: systemd's state of the watched units compared with
   * what medic believes; a difference no signal explains is a missed signal (watchdog/verify.ts).
   */
  MEDIC_VERIFY_INTERVAL_MS: withDefault(z.coerce.number().int().min(100), 10_000),
  MEDIC_PUBLIC_URL: opt(z.url()),
  /** Where the operator commands (`medic status`, `hold`, ...) reach the API. */
  MEDIC_URL: withDefault(z.url(), 'http://127.0.0.1:4000'),
  /** Bearer token of the operator commands (or `--token-file FILE`). */
  MEDIC_TOKEN: opt(z.string()),
  XDG_RUNTIME_DIR: opt(z.string()),
  /** D-Bus address of the systemd manager (`unix:path=...`); `none` = poll systemctl only. */
  MEDIC_DBUS_ADDRESS: opt(z.string()),
  /** Search path handed to services run by the process backend (after `<prefix>/bin`). */
  PATH: withDefault(z.string(), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'),
  SLACK_BOT_TOKEN: opt(z.string().startsWith('xoxb-', 'a bot token starts with xoxb-')),
  SLACK_SIGNING_SECRET: opt(z.string().min(8)),
  SLACK_CHANNEL: opt(z.string().regex(/^[CG][A-Z0-9]+$/, 'a channel id looks like C012ABCDEF')),
  SLACK_API_URL: opt(z.url()),
  SLACK_TEAM_ID: opt(z.string().regex(/^T[A-Z0-9]+$/, 'a team id looks like T012ABCDEF')),
  SLACK_APP_ID: opt(z.string().regex(/^A[A-Z0-9]+$/, 'an app id looks like A012ABCDEF')),
  SLACK_OPERATORS: withDefault(idList, ''),
  SLACK_ADMINS: withDefault(idList, ''),
  /** Slack user groups whose members are operators / admins (usergroups:read; docs/SLACK.md). */
  SLACK_OPERATOR_GROUPS: withDefault(groupList, ''),
  SLACK_ADMIN_GROUPS: withDefault(groupList, ''),
  /** How long a group's member list is trusted; a removed member keeps the right at most this long. */
  SLACK_USERGROUP_TTL_SEC: withDefault(z.coerce.number().positive().max(3600), 60),
  /**
   * An agent shipping to a hub leaves Slack to the hub (one bot for the fleet, no double posts):
   * its own Slack bot stays off unless this is 1 (e.g. a per-host channel beside the fleet's).
   */
  MEDIC_SLACK_IN_FLEET: withDefault(z.enum(['0', '1']), '0'),
  /** Fleet (docs/FLEET.md): the hub this agent ships its events to; with MEDIC_HUB_TOKEN. */
  MEDIC_HUB_URL: opt(z.url()),
  /** The agent token (`medic hub token create --node NAME`), bound to MEDIC_NODE_NAME. */
  MEDIC_HUB_TOKEN: opt(z.string().min(8)),
  MEDIC_NODE_NAME: withDefault(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a node name is letters, digits, ".", "_" and "-"'),
    hostname(),
  ),
  /** How often the agent ships (and heartbeats) to the hub. */
  MEDIC_HUB_SHIP_INTERVAL_MS: withDefault(z.coerce.number().int().min(50), 2000),
  /**
   * The agent (and the CLI with an https MEDIC_URL): the CA certificate(s) that signed the hub's
   * TLS certificate, PEM. Set: only these CAs are trusted for the hub; unset: Node's default store.
   */
  MEDIC_HUB_CA: opt(pemFile),
  /** `medic hub`: serve HTTPS with this certificate (PEM, chain included) and MEDIC_TLS_KEY. */
  MEDIC_TLS_CERT: opt(pemFile),
  /** `medic hub`: the private key (PEM) of MEDIC_TLS_CERT. */
  MEDIC_TLS_KEY: opt(pemFile),
  /** `medic hub`: its PostgreSQL database, e.g. postgres://medic@db/medic. */
  MEDIC_HUB_DATABASE_URL: opt(z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')),
  /** `medic hub`: a node silent longer than this is `unreachable`. */
  /** Escalation (docs/ALERTS.md): PagerDuty Events API v2 endpoint (override for tests or a proxy). */
  MEDIC_PAGERDUTY_URL: withDefault(z.url(), 'https://events.pagerduty.com/v2/enqueue'),
  /** Outbox retries: first backoff, attempts before `escalation_failed`, one attempt's timeout. */
  MEDIC_ESCALATION_RETRY_BASE_MS: withDefault(z.coerce.number().int().min(10), 1000),
  MEDIC_ESCALATION_MAX_ATTEMPTS: withDefault(z.coerce.number().int().min(1).max(100), 8),
  MEDIC_ESCALATION_TIMEOUT_MS: withDefault(z.coerce.number().int().min(100), 10_000),
  MEDIC_HUB_SILENCE_SEC: withDefault(z.coerce.number().positive(), 30),
  /** `medic hub`: a command its node has not answered within this expires (`command_expired`). */
  MEDIC_HUB_COMMAND_TTL_SEC: withDefault(z.coerce.number().positive(), 60),
  /** `medic hub`: how long a command mutation waits for the agent's result before answering `pending`. */
  MEDIC_HUB_COMMAND_WAIT_MS: withDefault(z.coerce.number().int().min(0), 10_000),
  /**
   * `medic hub`: at most this many lease requests per transaction (the replica batches the
   * requests of every group that arrive while its transactions run; 1 = one each, at once).
   */
  MEDIC_HUB_BUDGET_BATCH: withDefault(z.coerce.number().int().min(1).max(10_000), 500),
  /** `medic hub`: lease transactions a replica runs at once (src/hub/budget-batch.ts). */
  MEDIC_HUB_BUDGET_LANES: withDefault(z.coerce.number().int().min(1).max(8), 2),
  /**
   * `medic hub`: 1 = arbitrate optimistically (one read, one write conditioned on the group's
   * version, lanes on disjoint groups; src/hub/budget-tx.ts); 0 = under the groups' row locks.
   * On by default since s8: in quiet alternated runs its lease p50 was 8.8–9.2 ms against the
   * locked way's 11.0–17.5 (p99 43–66 against 32–66), and the 1,000 × 20 storm finished as fast
   * (33.3 s against 33.1 s). The storm stall that had kept it off in s7 was both paths' (lost
   * grants left in flight, src/agent/lease-ids.ts) — docs/BENCHMARKS.md "Fleet budget, run 10".
   */
  MEDIC_HUB_BUDGET_OPTIMISTIC: withDefault(z.coerce.number().int().min(0).max(1), 1),
  /**
   * `medic hub`: the least time between the starts of two batches of one lease lane, ms
   * (src/hub/budget-batch.ts): under load, fewer and larger batches; a request after a quiet
   * spell still goes at once. 0 = each batch as soon as the previous one ends.
   */
  MEDIC_HUB_BUDGET_LEASE_GAP_MS: withDefault(z.coerce.number().int().min(0).max(1000), 0),
  /** `medic hub`: how often each replica expires commands and marks silent nodes down. */
  MEDIC_HUB_SWEEP_MS: withDefault(z.coerce.number().int().min(50), 1000),
  /**
   * `medic hub` escalation of nodes gone dark (docs/FLEET.md "Paging"): a PagerDuty Events v2
   * routing key, and/or one signed generic webhook (URL and its HMAC secret, both or neither).
   * Endpoint override and retries: MEDIC_PAGERDUTY_URL and MEDIC_ESCALATION_* as for an agent.
   */
  MEDIC_HUB_PAGERDUTY_ROUTING_KEY: opt(z.string().min(1)),
  MEDIC_HUB_WEBHOOK_URL: opt(z.url()),
  MEDIC_HUB_WEBHOOK_SECRET: opt(z.string().min(8, 'a webhook secret has at least 8 characters')),
  /** `medic hub` with Slack: how often a replica tries for Slack leadership (and the leader polls). */
  MEDIC_HUB_LEADER_RETRY_MS: withDefault(z.coerce.number().int().min(50), 2000),
});

export type Env = z.output<typeof envSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const SLACK_REQUIRED = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_CHANNEL'] as const;

/** Parses an environment (default: the process's). Throws ConfigError with every problem. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // Slack is all-or-nothing: a half-configured bot would fail at the first incident.
  const given = SLACK_REQUIRED.filter((k) => emptyAsUndefined(source[k]) !== undefined);
  if (given.length > 0 && given.length < SLACK_REQUIRED.length) {
    for (const k of SLACK_REQUIRED) {
      if (!given.includes(k)) problems.push(`${k}: required when ${given.join(', ')} is set`);
    }
  }
  // The hub link is both-or-neither, like Slack.
  const hub = ['MEDIC_HUB_URL', 'MEDIC_HUB_TOKEN'].filter((k) => emptyAsUndefined(source[k]) !== undefined);
  if (hub.length === 1)
    problems.push(
      `${hub[0] === 'MEDIC_HUB_URL' ? 'MEDIC_HUB_TOKEN' : 'MEDIC_HUB_URL'}: required when ${hub[0]} is set`,
    );
  // TLS needs both halves.
  const tls = ['MEDIC_TLS_CERT', 'MEDIC_TLS_KEY'].filter((k) => emptyAsUndefined(source[k]) !== undefined);
  if (tls.length === 1)
    problems.push(
      `${tls[0] === 'MEDIC_TLS_CERT' ? 'MEDIC_TLS_KEY' : 'MEDIC_TLS_CERT'}: required when ${tls[0]} is set`,
    );
  // The hub's webhook is both-or-neither too: an unsigned page cannot be verified.
  const hook = ['MEDIC_HUB_WEBHOOK_URL', 'MEDIC_HUB_WEBHOOK_SECRET'].filter(
    (k) => emptyAsUndefined(source[k]) !== undefined,
  );
  if (hook.length === 1)
    problems.push(
      `${hook[0] === 'MEDIC_HUB_WEBHOOK_URL' ? 'MEDIC_HUB_WEBHOOK_SECRET' : 'MEDIC_HUB_WEBHOOK_URL'}: required when ${hook[0]} is set`,
    );
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** True when the Slack bot has what it needs to run. */
export function slackConfigured(env: Env): boolean {
  return Boolean(env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET && env.SLACK_CHANNEL);
}

/**
 * A secret named by the contract (escalation `routingKeyEnv` / `secretEnv`), read from the
 * environment here like every other variable; undefined when unset or empty.
 */
export function readSecret(
  name: string,
  source: Record<string, string | undefined> = process.env,
): string | undefined {
  return emptyAsUndefined(source[name]) as string | undefined;
}
