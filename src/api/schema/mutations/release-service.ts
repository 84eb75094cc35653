/** `releaseService(name, reason)`: Release a hold; automatic restarts resume (an open circuit stays open). */
import { builder } from '../builder.js';
import { NODE_ARG, runCommand } from './command.js';
import { ServiceResultRef } from './service-result.js';

builder.mutationField('releaseService', (t) =>
  t.field({
    type: ServiceResultRef,
    description: 'Release a hold; automatic restarts resume (an open circuit stays open).',
    args: {
      node: t.arg.string({ description: NODE_ARG }),
      name: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_root, { node, name, reason }, ctx) =>
      runCommand(ctx, {
        operation: 'releaseService',
        required: 'operator',
        node,
        service: name,
        reason,
        input: (op) => ({ type: 'release', ...op }),
      }),
  }),
);
