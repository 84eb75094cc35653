/** `forceRestart(name, reason)`: Restart now regardless of guards (admin). Audited and counted as churn. */
import { builder } from '../builder.js';
import { NODE_ARG, runCommand } from './command.js';
import { ServiceResultRef } from './service-result.js';

builder.mutationField('forceRestart', (t) =>
  t.field({
    type: ServiceResultRef,
    description: 'Restart now regardless of guards (admin). Audited and counted as churn.',
    args: {
      node: t.arg.string({ description: NODE_ARG }),
      name: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_root, { node, name, reason }, ctx) =>
      runCommand(ctx, {
        operation: 'forceRestart',
        required: 'admin',
        node,
        service: name,
        reason,
        input: (op) => ({ type: 'force_restart', ...op }),
      }),
  }),
);
