/**
 * Bearer tokens and roles. A token is 32 random bytes (base64url, prefixed `medic_`); the store
 * keeps only its sha256. Random 256-bit secrets make a fast hash safe, and lookup by hash needs no
 * constant-time compare (the attacker never learns how close a guess was).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiStore, Principal } from '../schema/ports.js';

const TOKEN_PREFIX = 'medic_';

/** A new secret token; shown once, never stored. */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
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
