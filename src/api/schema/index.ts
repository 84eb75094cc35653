/** Imports every type, query, mutation and subscription, then builds the schema. */
import { builder } from './builder.js';
import './types/enums.js';
import './types/policy.js';
import './types/event.js';
import './types/service.js';
import './types/contract.js';
import './types/errors.js';
import './types/token.js';
import './types/node.js';
import './mutations/hold-service.js';
import './mutations/release-service.js';
import './mutations/approve-restart.js';
import './mutations/force-restart.js';
import './mutations/reset-circuit.js';
import './mutations/check-drift.js';
import './subscriptions/recovery-events.js';
import './mutations/policy.js';
import './types/event-view.js';
import './types/bot.js';
import './types/maintenance.js';
import './mutations/maintenance.js';
import './types/budget.js';

export const schema = builder.toSchema({ sortSchema: true });
