/**
 * Roles of API callers (tokens, Slack users through the bot): admin ⊇ operator ⊇ viewer.
 * One ranking for the API's authorization and the bot's own checks.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** Kept name: the role a bearer token carries. */
export type TokenRole = Role;

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` includes everything `required` may do. */
export function hasRole(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
