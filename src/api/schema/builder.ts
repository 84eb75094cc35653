/**
 * The agent's Pothos builder (shared/builder.ts: scalars and defaults, the same as the hub's).
 * Types, queries and mutations live in one file each under schema/types, schema/mutations and
 * schema/subscriptions; the types the hub shows too are defined in schema/shared.
 */
import type { ApiContext } from './context.js';
import { createMedicBuilder } from './shared/builder.js';

export type { SharedTypes as Types } from './shared/builder.js';

export const builder = createMedicBuilder<ApiContext>();
