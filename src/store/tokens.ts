/** API tokens: only the SHA-256 hash of a secret is stored; lookups go by hash. */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { apiTokens } from '../../db/schema.js';
import type { TokenRole } from '../core/roles.js';
import type { Drizzle } from './db.js';
import { StoreError } from './errors.js';
import type { TokenRecord } from './types.js';

type Row = typeof apiTokens.$inferSelect;

const toRecord = (r: Row): TokenRecord => ({
  name: r.name,
  role: r.role as TokenRole,
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
  lastUsedAt: r.lastUsedAt,
});

export class Tokens {
  // Looked up on every API request: prepared once.
  private readonly byHash;

  constructor(private readonly orm: Drizzle) {
    this.byHash = orm
      .select()
      .from(apiTokens)
      .where(and(eq(apiTokens.hash, sql.placeholder('hash')), isNull(apiTokens.revokedAt)))
      .prepare();
  }

  /** Throws TOKEN_EXISTS when the name (revoked or not) or the hash is taken. */
  create(name: string, role: TokenRole, hash: string, at: number): TokenRecord {
    try {
      const row = this.orm.insert(apiTokens).values({ name, role, hash, createdAt: at }).returning().get();
      return toRecord(row);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new StoreError('TOKEN_EXISTS', `a token named ${name} (or with that secret) already exists`);
      }
      throw err;
    }
  }

  findByHash(hash: string): TokenRecord | null {
    const row = this.byHash.get({ hash });
    return row ? toRecord(row) : null;
  }

  list(): TokenRecord[] {
    return this.orm.select().from(apiTokens).orderBy(asc(apiTokens.name)).all().map(toRecord);
  }

  revoke(name: string, at: number): boolean {
    const res = this.orm
      .update(apiTokens)
      .set({ revokedAt: at })
      .where(and(eq(apiTokens.name, name), isNull(apiTokens.revokedAt)))
      .run();
    return res.changes === 1;
  }

  touch(name: string, at: number): void {
    this.orm.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.name, name)).run();
  }
}
