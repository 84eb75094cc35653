/** `checkDrift`: re-run the contract drift check now (operator); returns the report. */

import { builder } from '../builder.js';
import type { DriftReport } from '../ports.js';
import { isLocal, localNode } from '../service-id.js';
import { DriftReportRef } from '../types/contract.js';
import { invalid, notFound, resultUnion } from '../types/errors.js';
import { authorize, NODE_ARG } from './command.js';

const DriftResultRef = resultUnion<DriftReport>('DriftResult', DriftReportRef, true);

builder.mutationField('checkDrift', (t) =>
  t.field({
    type: DriftResultRef,
    description: 'Compare the runtime contract with systemd, the filesystem and the repo now.',
    args: { node: t.arg.string({ description: NODE_ARG }) },
    resolve: async (_root, { node }, ctx) => {
      const denied = authorize(ctx, 'checkDrift', 'operator', null);
      if (denied) return denied;
      if (!isLocal(ctx, node))
        return notFound(
          `this medic is node ${localNode(ctx)}, not ${node}: ask the fleet hub for other nodes`,
        );
      if (!ctx.contract) return notFound('no runtime contract is configured (MEDIC_CONTRACT)');
      try {
        return await ctx.contract.checkDrift();
      } catch (err) {
        // An invalid contract cannot be compared; say why instead of masking it.
        const problems = (err as { problems?: { path: string; message: string }[] }).problems;
        if (!problems) throw err;
        return invalid(
          'contract',
          `the contract is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        );
      }
    },
  }),
);
