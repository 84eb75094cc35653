/** `resetCircuit(name, reason)`: Reset the circuit breaker (CONFLICT when there is nothing to reset). */
import { builder } from '../builder.js';
import { NODE_ARG, runCommand } from './command.js';
import { ServiceResultRef } from './service-result.js';

builder.mutationField('resetCircuit', (t) =>
  t.field({
    type: ServiceResultRef,
    description: 'Reset the circuit breaker (CONFLICT when there is nothing to reset).',
    args: {
      node: t.arg.string({ description: NODE_ARG }),
      name: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_root, { node, name, reason }, ctx) =>
      runCommand(ctx, {
        operation: 'resetCircuit',
        required: 'operator',
        node,
        service: name,
        reason,
        input: (op) => ({ type: 'reset_circuit', ...op }),
      }),
  }),
);
