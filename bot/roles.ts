/**
 * Slack user → medic role. Anyone in the configured team is a viewer; SLACK_OPERATORS are
 * operators and SLACK_ADMINS admins (an admin can do everything an operator can); members of
 * SLACK_OPERATOR_GROUPS / SLACK_ADMIN_GROUPS likewise (usergroups.ts, resolved per click). The role is
 * passed to GraphQL with the actor, where authorization and the `access_denied` audit happen.
 */
import type { Env } from '../src/config/env.js';
import type { Role } from '../src/core/roles.js';
import type { GraphqlActor } from './types.js';
import type { GroupRoles } from './usergroups.js';

export function roleOf(env: Pick<Env, 'SLACK_OPERATORS' | 'SLACK_ADMINS'>, userId: string): Role {
  if (env.SLACK_ADMINS.includes(userId)) return 'admin';
  if (env.SLACK_OPERATORS.includes(userId)) return 'operator';
  return 'viewer';
}

export function slackActor(env: Pick<Env, 'SLACK_OPERATORS' | 'SLACK_ADMINS'>, userId: string): GraphqlActor {
  return { id: `slack:${userId}`, role: roleOf(env, userId) };
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/**
 * Resolves the acting Slack user at every click and command: the higher of the id lists' role
 * and the user groups' role (usergroups.ts, cached with a short TTL).
 */
export interface RoleResolver {
  actor(userId: string): Promise<GraphqlActor>;
}

export function roleResolver(
  env: Pick<Env, 'SLACK_OPERATORS' | 'SLACK_ADMINS'>,
  groups: Pick<GroupRoles, 'enabled' | 'roleOf'> | null,
): RoleResolver {
  return {
    async actor(userId) {
      const listed = slackActor(env, userId);
      if (!groups?.enabled || listed.role === 'admin') return listed;
      const grouped = await groups.roleOf(userId);
      return RANK[grouped] > RANK[listed.role] ? { ...listed, role: grouped } : listed;
    },
  };
}

/** The bot's own identity (subscription, catch-up, its incidents, cursor and button ids). */
export const BOT_ACTOR: GraphqlActor = { id: 'slack:bot', role: 'viewer' };

/** `slack:U123` → `<@U123>` (a Slack mention); other actors (tokens, timers) as plain text. */
export function mention(actor: string | null | undefined): string {
  if (!actor) return 'medic';
  const m = /^slack:([UW][A-Z0-9]+)$/.exec(actor);
  return m ? `<@${m[1]}>` : actor;
}
