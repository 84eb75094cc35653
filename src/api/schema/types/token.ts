/** `tokens`: API tokens by name and role (admin only; secrets and hashes never leave the store). */
import { createGraphQLError } from 'graphql-yoga';
import type { TokenRecord } from '../../../store/types.js';
import { builder } from '../builder.js';
import { authorize } from '../mutations/command.js';
import { RoleEnum } from './enums.js';

const TokenRef = builder.objectRef<TokenRecord>('ApiToken').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (r) => r.role }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.revokedAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.lastUsedAt }),
  }),
});

builder.queryField('tokens', (t) =>
  t.field({
    type: [TokenRef],
    description: 'API tokens (admin). Create and revoke them with `medic token`.',
    resolve: async (_root, _args, ctx) => {
      const denied = authorize(ctx, 'tokens', 'admin', null);
      if (denied) throw createGraphQLError(denied.message, { extensions: { code: denied.code } });
      return ctx.store.listTokens();
    },
  }),
);
