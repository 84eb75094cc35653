/**
 * The hub's bearer tokens (table `agent_tokens`, every role): `medic_` + 32 random bytes, stored
 * as sha256 only — the same scheme and roles as the single host's tokens (src/api/http/auth.ts,
 * src/core/roles.ts), plus `agent`, bound to one node. Unknown and revoked tokens look the same.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { agentTokens } from '../../db/pg/schema.js';
import { generateToken, hashToken } from '../api/http/auth.js';
import type { HubTokenRole } from '../core/roles.js';
import type { HubDb } from './db.js';

export interface AgentToken {
  name: string;
  node: string;
}

export interface HubToken {
  name: string;
  role: HubTokenRole;
  /** The node an agent token ships for; null for the other roles. */
  node: string | null;
}

export interface HubTokenRecord extends HubToken {
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export class HubTokenError extends Error {
  constructor(
    readonly code: 'TOKEN_EXISTS' | 'NODE_REQUIRED' | 'NODE_NOT_ALLOWED',
    message: string,
  ) {
    super(message);
  }
}

/** Creates a token; returns the secret (shown once). `node` is required for, and only for, `agent`. */
export async function createHubToken(
  db: HubDb,
  name: string,
  role: HubTokenRole,
  node: string | null,
  now: number,
): Promise<string> {
  if (role === 'agent' && !node) throw new HubTokenError('NODE_REQUIRED', 'an agent token needs --node NAME');
  if (role !== 'agent' && node)
    throw new HubTokenError('NODE_NOT_ALLOWED', '--node is for --role agent only');
  const secret = generateToken();
  const [row] = await db
    .insert(agentTokens)
    .values({ name, role, node, hash: hashToken(secret), createdAt: now })
    .onConflictDoNothing({ target: agentTokens.name })
    .returning({ name: agentTokens.name });
  if (!row)
    throw new HubTokenError(
      'TOKEN_EXISTS',
      `a token named '${name}' already exists (names are never reused)`,
    );
  return secret;
}

/** An agent token for `node` (the first slice's helper, kept for tests and `medic hub token`). */
export const createAgentToken = (db: HubDb, name: string, node: string, now: number) =>
  createHubToken(db, name, 'agent', node, now);

/**
 * The lookup by hash as a named prepared statement (built once per database, planned once per
 * connection): every agent batch and API request runs it.
 */
const byHash = new WeakMap<HubDb, ReturnType<typeof prepareByHash>>();
const prepareByHash = (db: HubDb) =>
  db
    .select({ name: agentTokens.name, role: agentTokens.role, node: agentTokens.node })
    .from(agentTokens)
    .where(and(eq(agentTokens.hash, sql.placeholder('hash')), isNull(agentTokens.revokedAt)))
    .prepare('medic_hub_token_by_hash');

/** The live token with this secret, or null. Revocation takes effect at once (no cache). */
export async function findHubToken(db: HubDb, secret: string): Promise<HubToken | null> {
  let query = byHash.get(db);
  if (!query) {
    query = prepareByHash(db);
    byHash.set(db, query);
  }
  const [row] = await query.execute({ hash: hashToken(secret) });
  return row ? { ...row, role: row.role as HubTokenRole } : null;
}

/** The live agent token with this secret, or null (other roles cannot ship). */
export async function findAgentToken(db: HubDb, secret: string): Promise<AgentToken | null> {
  const token = await findHubToken(db, secret);
  return token?.role === 'agent' && token.node ? { name: token.name, node: token.node } : null;
}

export async function touchHubToken(db: HubDb, name: string, now: number): Promise<void> {
  await db.update(agentTokens).set({ lastUsedAt: now }).where(eq(agentTokens.name, name));
}

export async function listHubTokens(db: HubDb): Promise<HubTokenRecord[]> {
  const rows = await db
    .select({
      name: agentTokens.name,
      role: agentTokens.role,
      node: agentTokens.node,
      createdAt: agentTokens.createdAt,
      lastUsedAt: agentTokens.lastUsedAt,
      revokedAt: agentTokens.revokedAt,
    })
    .from(agentTokens)
    .orderBy(asc(agentTokens.name));
  return rows.map((r) => ({ ...r, role: r.role as HubTokenRole }));
}

/** Revokes a live token; false when there is none by that name. */
export async function revokeHubToken(db: HubDb, name: string, now: number): Promise<boolean> {
  const rows = await db
    .update(agentTokens)
    .set({ revokedAt: now })
    .where(and(eq(agentTokens.name, name), isNull(agentTokens.revokedAt)))
    .returning({ name: agentTokens.name });
  return rows.length > 0;
}
