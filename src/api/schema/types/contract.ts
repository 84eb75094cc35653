/**
 * `runtimeContract`: is the contract file valid, which services it declares, and the latest drift
 * report (from the periodic check or the `checkDrift` mutation). Null when no contract is
 * configured, or when `node` names another host. Types: shared/drift.ts.
 */
import { builder } from '../builder.js';
import { isLocal } from '../service-id.js';
import { driftTypes } from '../shared/drift.js';

export const { DriftReportRef, RuntimeContractRef } = driftTypes(builder);

builder.queryField('runtimeContract', (t) =>
  t.field({
    type: RuntimeContractRef,
    nullable: true,
    description: 'The runtime contract medic runs under (null when none is configured).',
    args: { node: t.arg.string({ description: 'This host (MEDIC_NODE_NAME); another node answers null.' }) },
    resolve: async (_root, args, ctx) => {
      const { contract } = ctx;
      if (!contract || !isLocal(ctx, args.node)) return null;
      const inspection = await contract.inspect();
      return { path: contract.path, ...inspection, drift: contract.lastDrift() };
    },
  }),
);
