/** Enums both schemas show. Values keep medic's own spelling (lowercase codes). */
import { EVENT_KINDS } from '../../../core/audit.js';
import { MAINTENANCE_MODES } from '../../../core/maintenance.js';
import { TOKEN_ROLES } from '../../../core/roles.js';
import { DECISION_CODES, RECOMMENDED_ACTION_CODES, STATE_NAMES } from '../../../core/types.js';
import { perBuilder } from './builder.js';

export const enumTypes = perBuilder((builder) => ({
  ServiceStateEnum: builder.enumType('ServiceState', {
    description: 'The guarded self-healing states of DESIGN.md.',
    values: STATE_NAMES,
  }),
  EventKindEnum: builder.enumType('EventKind', {
    description:
      "Kind of an audit event. `other`: a kind this medic does not know (at the hub: an agent of a newer version); the event's `kindName` has it.",
    values: [...EVENT_KINDS, 'other'] as const,
  }),
  DecisionCodeEnum: builder.enumType('DecisionCode', {
    description: 'Reason code of a decision, taken or not.',
    values: DECISION_CODES,
  }),
  RecommendedActionCodeEnum: builder.enumType('RecommendedActionCode', {
    values: RECOMMENDED_ACTION_CODES,
  }),
  CircuitStateEnum: builder.enumType('CircuitState', {
    values: ['closed', 'open', 'half_open'] as const,
  }),
  ModeEnum: builder.enumType('Mode', {
    description: 'enforce carries out decisions; shadow only records them.',
    values: ['enforce', 'shadow'] as const,
  }),
  RoleEnum: builder.enumType('Role', {
    description:
      'admin ⊇ operator ⊇ viewer; bot: the Slack bot (bot-only operations, acts for a named Slack user).',
    values: TOKEN_ROLES,
  }),
  MaintenanceModeEnum: builder.enumType('MaintenanceMode', {
    description:
      'hold: no automatic restarts; shadow: automatic restarts decided and recorded, not executed.',
    values: MAINTENANCE_MODES,
  }),
  EventOrderEnum: builder.enumType('EventOrder', {
    values: {
      asc: { description: 'Oldest first.' },
      desc: { description: 'Newest first (default).' },
    } as const,
  }),
}));
