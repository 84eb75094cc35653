/**
 * What every resolver receives. Built per request by src/api/http/yoga.ts; resolvers translate
 * between GraphQL and these ports and hold no policy logic (DESIGN.md rule 4).
 */
import type { RefusalThrottle } from '../../core/throttle.js';
import type { Engine } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { ApiStore, BudgetHeardPort, ContractStatus, Principal } from './ports.js';

export interface ApiContext {
  principal: Principal;
  engine: Engine;
  store: ApiStore;
  contract: ContractStatus | null;
  /** Base URL for links (runbook); MEDIC_PUBLIC_URL or http://host:port. */
  publicUrl: string;
  logger: Logger;
  /** Aborted when the client goes away (subscriptions end on it at once). */
  signal: AbortSignal;
  /** Refusals by role: one access_denied event per principal+operation per minute (core/throttle.ts). */
  denials: RefusalThrottle;
  now: () => number;
  /** This agent's node name (MEDIC_NODE_NAME); default the hostname (service-id.ts). */
  node?: string;
  /** The hub's last answers per budget group (absent without a hub: `budgetGroups` numbers are null). */
  budget?: BudgetHeardPort;
}
