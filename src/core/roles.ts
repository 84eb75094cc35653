/**
 * Roles of API callers: admin ⊇ operator ⊇ viewer, one ranking for the API's authorization and
 * the bot's own checks. A token may also carry `bot`: the Slack bot (in-process, or remote
 * against a hub) — it may use the bot-only operations (pending actions, its incidents and event
 * cursor) and acts for the Slack user it names, with the role the bot resolved for that user;
 * on its own it reads like a viewer. A token may also carry `alertmanager`: it may post alerts to
 * `POST /alertmanager` (issue 17) and otherwise reads like a viewer.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_ROLES = [...ROLES, 'bot', 'alertmanager'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

const RANK: Record<TokenRole, number> = { viewer: 0, bot: 0, alertmanager: 0, operator: 1, admin: 2 };

/**
 * True when `role` includes everything `required` may do (`bot` and `alertmanager` are granted to
 * themselves and admin only).
 */
export function hasRole(role: TokenRole, required: TokenRole): boolean {
  if (required === 'bot' || required === 'alertmanager') return role === required || role === 'admin';
  return RANK[role] >= RANK[required];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isTokenRole(value: string): value is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(value);
}

/**
 * Roles of the fleet hub's tokens (issue 15): the API roles, plus `agent` — an agent token is
 * bound to one node; it may ship that node's events and receive that node's commands, nothing else
 * (it cannot read the hub's GraphQL or /metrics, and no API role may ship).
 */
export const HUB_TOKEN_ROLES = [...TOKEN_ROLES, 'agent'] as const;
export type HubTokenRole = (typeof HUB_TOKEN_ROLES)[number];

export function isHubTokenRole(value: string): value is HubTokenRole {
  return (HUB_TOKEN_ROLES as readonly string[]).includes(value);
}
