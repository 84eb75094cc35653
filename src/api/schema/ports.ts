/**
 * What the API needs from the rest of medic, as small structural ports. The composition root
 * (`medic serve`) passes the real store, engine and contract checker; nothing here decides.
 */

import type { TokenRole } from '../../core/roles.js';
import type { Logger } from '../../log.js';
import type { RolloutStore } from '../../rollout/apply.js';
import type { Store } from '../../store/types.js';

/**
 * The parts of the store the API uses (src/store/types.ts `Store`): audit log reads, tokens,
 * policy versions (apply/rollback through src/rollout/apply.ts), and what the Slack bot reaches
 * over GraphQL (pending actions, its incidents and event cursor: types/bot.ts).
 */
export type ApiStore = Pick<
  Store,
  | 'listEvents'
  | 'findTokenByHash'
  | 'claimAlert'
  | 'unclaimAlert'
  | 'listTokens'
  | 'touchToken'
  | 'getPendingAction'
  | 'claimPendingAction'
  | 'pendingActionsFor'
  | 'createPendingAction'
  | 'upsertSlackIncident'
  | 'openSlackIncidents'
  | 'eventCursor'
  | 'advanceEventCursor'
  | 'scheduleMaintenance'
  | 'cancelMaintenance'
  | 'getMaintenance'
  | 'listMaintenance'
> &
  RolloutStore;

/** One drift finding (src/contract/drift/check.ts `Finding`). */
export interface DriftFinding {
  source: 'systemd' | 'fs' | 'repo';
  service: string | null;
  field: string;
  expected: string | null;
  actual: string | null;
  severity: 'error' | 'warning';
  fix: string | null;
}

/** src/contract/drift/check.ts `DriftReport`; `checkedAt` is epoch ms or an ISO string. */
export interface DriftReport {
  ok: boolean;
  checkedAt: number | string | Date;
  findings: DriftFinding[];
}

/** Result of validating the contract file now. */
export interface ContractInspection {
  valid: boolean;
  /** `path: message` for every problem (empty when valid). */
  errors: string[];
  /** Service names the contract declares (empty when invalid). */
  services: string[];
}

/**
 * The runtime contract as the API sees it. `checkDrift()` runs the check now and is the
 * implementer's place to record drift_detected/drift_resolved events, so the periodic check and
 * the `checkDrift` mutation share one path. See `createContractStatus` for the default.
 */
export interface ContractStatus {
  readonly path: string;
  inspect(): Promise<ContractInspection>;
  checkDrift(): Promise<DriftReport>;
  lastDrift(): DriftReport | null;
}

/** The fleet budget's numbers as the hub last answered them, per group (src/serve/budget.ts). */
export interface BudgetHeardPort {
  heard(): ReadonlyMap<string, { inFlight: number; usedInWindow: number; waiting: number; at: number }>;
}

/** Raw node route mounted next to the API (Slack `/slack/events`, runbook `/runbook`, ...). */
export interface RawRoute {
  prefix: string;
  handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void;
}

/**
 * Who is calling: a token, or an in-process caller (the Slack bot) that did its own auth.
 * `bot`: the call comes from the Slack bot (in-process, or a `bot` token); `name`/`role` are then
 * the Slack user it acts for (or the bot itself, `slack:bot`, reading as a viewer).
 */
export interface Principal {
  name: string;
  role: TokenRole;
  /** `hub`: an operator command from the fleet hub, run by this agent (issue 15). */
  via: 'token' | 'in-process' | 'hub';
  bot?: boolean;
  /** The hub's command id (via `hub`), recorded in the audit event's data. */
  hubCommand?: number;
}

export type { Readiness } from '../../core/readiness.js';
export type { Logger };
