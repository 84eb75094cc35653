/**
 * Agent tokens at the hub: `medic_` + 32 random bytes, stored as sha256 only (the same scheme as
 * the API's tokens, src/api/http/auth.ts). A token is bound to one node.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { agentTokens } from '../../db/pg/schema.js';
import { generateToken, hashToken } from '../api/http/auth.js';
import type { HubDb } from './db.js';

export interface AgentToken {
  name: string;
  node: string;
}

/** Creates a token for `node`; returns the secret (shown once). Throws when the name is taken. */
export async function createAgentToken(db: HubDb, name: string, node: string, now: number): Promise<string> {
  const secret = generateToken();
  await db.insert(agentTokens).values({ name, node, hash: hashToken(secret), createdAt: now });
  return secret;
}

/** The live token with this secret, or null (unknown and revoked look the same). */
export async function findAgentToken(db: HubDb, secret: string): Promise<AgentToken | null> {
  const [row] = await db
    .select({ name: agentTokens.name, node: agentTokens.node })
    .from(agentTokens)
    .where(and(eq(agentTokens.hash, hashToken(secret)), isNull(agentTokens.revokedAt)));
  return row ?? null;
}
