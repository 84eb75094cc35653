/**
 * The hub's GraphQL schema (issue 15), read from PostgreSQL: nodes, fleet services (`id` =
 * `node/name`), agent and hub events (queries and subscriptions across replicas), and operator
 * commands down to the agents. Printed SDL: schema/hub.graphql. What of the agent schema is not
 * here yet: docs/FLEET.md.
 */
import { builder } from './builder.js';
import './node.js';
import './service.js';
import './events.js';
import './commands.js';
import './contract.js';
import './budget.js';
import './maintenance.js';

export type { HubContext, HubPrincipal } from './builder.js';
export const hubSchema = builder.toSchema();
