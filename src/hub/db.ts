/**
 * The hub's PostgreSQL connection: a node-postgres pool behind drizzle, the committed migrations
 * (db/pg/migrations) applied at start under an advisory lock (several replicas may start at once
 * against one database), and a bounded ping for /readyz.
 */
import { join } from 'node:path';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from '../../db/pg/schema.js';
import { PACKAGE_ROOT } from '../paths.js';

/** Drizzle over the pool; `$client` is the pool itself (the lease path's statements: budget-read.ts). */
export type HubDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface HubDatabase {
  pool: pg.Pool;
  db: HubDb;
  /** True when PostgreSQL answers `SELECT 1` within the pool's connection timeout. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Any fixed number: replicas starting together take turns migrating. */
const MIGRATION_LOCK = 0x6d656463;

export function openHubDatabase(url: string): HubDatabase {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 2000 });
  // An idle client losing its server (PostgreSQL restarted) must not crash the hub.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return {
    pool,
    db,
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
}

/** Applies db/pg/migrations (idempotent), one replica at a time. */
export async function migrateHub(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder: join(PACKAGE_ROOT, 'db', 'pg', 'migrations') });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
