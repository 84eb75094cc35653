/**
 * PostgreSQL for tests: scripts/with-postgres.sh exports MEDIC_TEST_PG_ADMIN_URL; each test file
 * gets a fresh database. Without PostgreSQL the tests skip with the reason, unless
 * MEDIC_REQUIRE_POSTGRES=1 (CI), which makes them fail.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN = process.env.MEDIC_TEST_PG_ADMIN_URL;
export const PG_REQUIRED = process.env.MEDIC_REQUIRE_POSTGRES === '1';
export const PG_SKIP_REASON =
  process.env.MEDIC_TEST_PG_SKIP ?? 'MEDIC_TEST_PG_ADMIN_URL not set (run under scripts/with-postgres.sh)';
/** Skip the PostgreSQL suites when there is no server and CI does not require one. */
export const skipPg = !PG_ADMIN && !PG_REQUIRED;
if (skipPg) console.warn(`PostgreSQL tests skipped: ${PG_SKIP_REASON}`);

/** A new empty database; returns its URL. */
export async function freshDatabase(): Promise<string> {
  if (!PG_ADMIN) throw new Error(`PostgreSQL required (MEDIC_REQUIRE_POSTGRES=1): ${PG_SKIP_REASON}`);
  const name = `medic_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return url.toString();
}
