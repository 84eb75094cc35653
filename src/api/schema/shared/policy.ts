/** `Policy`: the effective restart policy of a service (core/policy.ts, defaults applied). */
import type { Policy } from '../../../core/policy.js';
import { perBuilder } from './builder.js';
import { enumTypes } from './enums.js';

export const policyTypes = perBuilder((builder) => {
  const { ModeEnum } = enumTypes(builder);
  const BackoffRef = builder.objectRef<Policy['backoff']>('BackoffPolicy').implement({
    fields: (t) => ({
      initialSec: t.exposeFloat('initialSec'),
      factor: t.exposeFloat('factor'),
      maxSec: t.exposeFloat('maxSec'),
    }),
  });

  const CircuitPolicyRef = builder.objectRef<Policy['circuit']>('CircuitPolicy').implement({
    fields: (t) => ({
      openSec: t.exposeFloat('openSec'),
      maxOpenSec: t.exposeFloat('maxOpenSec'),
      hardStop: t.exposeBoolean('hardStop'),
    }),
  });

  const BudgetPolicyRef = builder.objectRef<NonNullable<Policy['budget']>>('BudgetPolicy').implement({
    description: 'The fleet restart budget a policy shares with its group (issue 16; FLEET.md).',
    fields: (t) => ({
      group: t.exposeString('group', {
        description: 'Services in the same group share the budget, across all nodes.',
      }),
      maxConcurrent: t.exposeInt('maxConcurrent'),
      maxPerWindow: t.exposeInt('maxPerWindow'),
      windowSec: t.exposeFloat('windowSec'),
      onHubUnreachable: t.exposeString('onHubUnreachable', { description: '`local` or `wait`.' }),
      timeoutMs: t.exposeInt('timeoutMs'),
    }),
  });

  const PolicyRef = builder.objectRef<Policy>('Policy').implement({
    description: 'Effective policy values (defaults applied).',
    fields: (t) => ({
      failureThreshold: t.exposeInt('failureThreshold'),
      startupGraceSec: t.exposeFloat('startupGraceSec'),
      cooldownSec: t.exposeFloat('cooldownSec'),
      maxRestarts: t.exposeInt('maxRestarts'),
      windowSec: t.exposeFloat('windowSec'),
      backoff: t.field({ type: BackoffRef, resolve: (p) => p.backoff }),
      stableSec: t.exposeFloat('stableSec'),
      circuit: t.field({ type: CircuitPolicyRef, resolve: (p) => p.circuit }),
      mode: t.field({ type: ModeEnum, resolve: (p) => p.mode }),
      budget: t.field({
        type: BudgetPolicyRef,
        nullable: true,
        description: 'The fleet restart budget (null: none).',
        resolve: (p) => p.budget ?? null,
      }),
      jitter: t.float({
        description:
          'Restart delays are stretched by up to this fraction, spread per node and service (0 = none).',
        resolve: (p) => p.jitter,
      }),
    }),
  });
  return { PolicyRef };
});
