/** The agent's enums: the shared definitions (shared/enums.ts) on the agent's builder. */
import { builder } from '../builder.js';
import { enumTypes } from '../shared/enums.js';

export const {
  ServiceStateEnum,
  EventKindEnum,
  DecisionCodeEnum,
  RecommendedActionCodeEnum,
  CircuitStateEnum,
  ModeEnum,
  RoleEnum,
  EventOrderEnum,
} = enumTypes(builder);
