/** Enums shared by several types. Values keep medic's own spelling (lowercase codes). */

import { EVENT_KINDS } from '../../../core/audit.js';
import { TOKEN_ROLES } from '../../../core/roles.js';
import { DECISION_CODES, RECOMMENDED_ACTION_CODES, STATE_NAMES } from '../../../core/types.js';
import { builder } from '../builder.js';

export const ServiceStateEnum = builder.enumType('ServiceState', {
  description: 'The guarded self-healing states of DESIGN.md.',
  values: STATE_NAMES,
});

export const EventKindEnum = builder.enumType('EventKind', {
  description: 'Kind of an audit event.',
  values: EVENT_KINDS,
});

export const DecisionCodeEnum = builder.enumType('DecisionCode', {
  description: 'Reason code of a decision, taken or not.',
  values: DECISION_CODES,
});

export const RecommendedActionCodeEnum = builder.enumType('RecommendedActionCode', {
  values: RECOMMENDED_ACTION_CODES,
});

export const CircuitStateEnum = builder.enumType('CircuitState', {
  values: ['closed', 'open', 'half_open'] as const,
});

export const ModeEnum = builder.enumType('Mode', {
  description: 'enforce carries out decisions; shadow only records them.',
  values: ['enforce', 'shadow'] as const,
});

export const RoleEnum = builder.enumType('Role', {
  description:
    'admin ⊇ operator ⊇ viewer; bot: the Slack bot (bot-only operations, acts for a named Slack user).',
  values: TOKEN_ROLES,
});

export const EventOrderEnum = builder.enumType('EventOrder', {
  values: {
    asc: { description: 'Oldest first.' },
    desc: { description: 'Newest first (default).' },
  } as const,
});
