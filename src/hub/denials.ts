/**
 * Refusals by role at the hub, audited in the hub's log as `access_denied` (as an agent audits
 * its own): a token of the wrong role at a door (/graphql or /metrics with an agent token, the
 * ship endpoint with an API token or another node's agent token) or a mutation that needs a
 * higher role. Speaks once: at most one record per (token, operation) per minute on each replica,
 * with `count` = the refusals it stands for (core/throttle.ts); a hub log that cannot be written
 * is logged, never fails the refusal.
 */
import { RefusalThrottle } from '../core/throttle.js';
import type { Logger } from '../log.js';
import type { HubDb } from './db.js';
import { recordHubEvent } from './events.js';

export interface Refusal {
  /** The token's name. */
  actor: string;
  role: string;
  /** What was refused: `holdService`, `graphql`, `metrics`, `ship`, ... */
  operation: string;
  /** The role (or, for `ship`, the binding) it needs. */
  required: string;
  node: string | null;
  service: string | null;
}

export class HubDenials {
  private readonly throttle = new RefusalThrottle();

  constructor(
    private readonly db: HubDb,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Counts one refusal; records `access_denied` when it is the first of its minute. */
  refuse(r: Refusal): void {
    const now = this.now();
    const verdict = this.throttle.refuse(r.actor, r.operation, now);
    if (!verdict.write) return;
    recordHubEvent(this.db, {
      at: now,
      kind: 'access_denied',
      node: r.node,
      service: r.service,
      actor: r.actor,
      data: {
        operation: r.operation,
        role: r.role,
        required: r.required,
        count: verdict.count,
        firstAt: verdict.firstAt,
        lastAt: verdict.lastAt,
      },
    }).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not audit a refusal at the hub'));
  }
}
