/** `holdService(name, ttlSec, reason)`: block automatic restarts for a while (operator). */
import { builder } from '../builder.js';
import { invalid } from '../types/errors.js';
import { NODE_ARG, runCommand } from './command.js';
import { ServiceResultRef } from './service-result.js';

/** 30 days: longer holds are almost certainly typos (seconds vs minutes). */
export const MAX_HOLD_SEC = 30 * 24 * 3600;

builder.mutationField('holdService', (t) =>
  t.field({
    type: ServiceResultRef,
    description: 'Hold a service: no automatic restarts until the TTL expires or it is released.',
    args: {
      node: t.arg.string({ description: NODE_ARG }),
      name: t.arg.string({ required: true }),
      ttlSec: t.arg.int({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_root, { node, name, ttlSec, reason }, ctx) =>
      runCommand(ctx, {
        operation: 'holdService',
        required: 'operator',
        node,
        service: name,
        reason,
        validate: () =>
          ttlSec >= 1 && ttlSec <= MAX_HOLD_SEC
            ? null
            : invalid('ttlSec', `ttlSec must be between 1 and ${MAX_HOLD_SEC}`),
        input: (op) => ({ type: 'hold', ttlSec, ...op }),
      }),
  }),
);
