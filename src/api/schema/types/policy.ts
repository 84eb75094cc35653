/** The agent's `Policy` type: the shared definition (shared/policy.ts). */
import { builder } from '../builder.js';
import { policyTypes } from '../shared/policy.js';

export const { PolicyRef } = policyTypes(builder);
