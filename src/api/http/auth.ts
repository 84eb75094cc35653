/**
 * Bearer tokens and roles. A token is 32 random bytes (base64url, prefixed `medic_`); the store
 * keeps only its sha256. Random 256-bit secrets make a fast hash safe, and lookup by hash needs no
 * constant-time compare (the attacker never learns how close a guess was).
 */
import crypto, { createHash, randomBytes } from 'node:crypto';
import { isRole } from '../../core/roles.js';
import type { ApiStore, Principal } from '../schema/ports.js';

const TOKEN_PREFIX = 'medic_';

/** A new secret token; shown once, never stored. */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * Node's one-shot `crypto.hash` (node ≥ 20.12; the default import, so 20.11 still loads): no Hash
 * object per call — measured at the hub's budget endpoints, which hash every request's token,
 * ~7 µs of hub CPU per request under the lease bench against ~1 µs (docs/BENCHMARKS.md "Fleet
 * budget hub CPU per request, run 11").
 */
const sha256Hex: (data: string) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data, 'utf8').digest('hex');

/** The stored form of a token: sha256, hex. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * Resolves the caller from the Authorization header. Revoked or unknown tokens fail the same
 * way (no hint which). `onUsed` is called with the token name (to touch `lastUsedAt`).
 */
export function authenticate(
  header: string | null,
  tokens: Pick<ApiStore, 'findTokenByHash'>,
  onUsed?: (name: string) => void,
): AuthResult {
  const token = bearerToken(header);
  if (!token) return { ok: false, reason: 'missing bearer token' };
  const record = tokens.findTokenByHash(hashToken(token));
  if (!record || record.revokedAt !== null) return { ok: false, reason: 'invalid or revoked token' };
  onUsed?.(record.name);
  return { ok: true, principal: { name: record.name, role: record.role, via: 'token' } };
}

/** Headers a `bot` token uses to name the Slack user it acts for, and that user's role. */
export const ACTOR_HEADER = 'x-medic-actor';
export const ACTOR_ROLE_HEADER = 'x-medic-actor-role';

/**
 * A `bot` token acts for the Slack user named in `x-medic-actor` (`slack:<id>`) with the role in
 * `x-medic-actor-role` (viewer, operator or admin: what the bot resolved from SLACK_OPERATORS /
 * SLACK_ADMINS), exactly as the in-process bot does through the server context. Without them it
 * reads as itself with viewer rights. Other tokens ignore the headers.
 */
export function actingPrincipal(principal: Principal, headers: Headers): Principal {
  if (principal.role !== 'bot') return principal;
  const actor = headers.get(ACTOR_HEADER);
  const role = headers.get(ACTOR_ROLE_HEADER);
  const named = actor !== null && /^slack:[A-Za-z0-9_]+$/.test(actor);
  return {
    name: named ? actor : principal.name,
    role: named && role !== null && isRole(role) ? role : 'viewer',
    via: 'token',
    bot: true,
  };
}
