/** `approveRestart(name, reason)`: Approve one probe restart while the circuit is open (CONFLICT when no approval is pending). */
import { builder } from '../builder.js';
import { NODE_ARG, runCommand } from './command.js';
import { ServiceResultRef } from './service-result.js';

builder.mutationField('approveRestart', (t) =>
  t.field({
    type: ServiceResultRef,
    description:
      'Approve one probe restart while the circuit is open (CONFLICT when no approval is pending).',
    args: {
      node: t.arg.string({ description: NODE_ARG }),
      name: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_root, { node, name, reason }, ctx) =>
      runCommand(ctx, {
        operation: 'approveRestart',
        required: 'operator',
        node,
        service: name,
        reason,
        input: (op) => ({ type: 'approve', ...op }),
      }),
  }),
);
