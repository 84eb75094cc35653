/**
 * A store as an earlier release left it: only the first `upTo` committed migrations under
 * db/migrations applied (drizzle's own migrator, the same path medic uses), with an API token
 * and an audit event in it, so an upgrade test can show both survive the newer migrations.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { hashToken } from '../../src/api/http/auth.js';
import { MIGRATIONS_DIR } from '../../src/store/db.js';

interface Journal {
  entries: { idx: number; tag: string }[];
}

export const OLD_TOKEN = 'medic_old-release-admin-token-0123456789abcdef';

/** Migrations 0..upTo-1 in a folder of their own (journal cut to them). */
export async function oldMigrations(upTo: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'medic-old-migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as Journal;
  if (upTo >= journal.entries.length) throw new Error(`only ${journal.entries.length} migrations exist`);
  journal.entries = journal.entries.slice(0, upTo);
  await writeFile(journalPath, JSON.stringify(journal, null, 2));
  return dir;
}

/** Creates `path` with the first `upTo` migrations, an admin token and one event. */
export async function makeOldStore(path: string, upTo = 1): Promise<void> {
  const folder = await oldMigrations(upTo);
  const sqlite = new Database(path);
  try {
    sqlite.pragma('journal_mode = WAL');
    migrate(drizzle(sqlite), { migrationsFolder: folder });
    sqlite
      .prepare('INSERT INTO api_tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?)')
      .run('old-admin', 'admin', hashToken(OLD_TOKEN), 1_700_000_000_000);
    sqlite
      .prepare(
        "INSERT INTO events (at, service, kind, effects, reason) VALUES (?, 'api', 'hold_set', '[]', 'before the upgrade')",
      )
      .run(1_700_000_000_000);
  } finally {
    sqlite.close();
  }
}

/** Table names and the number of applied migrations in a store file. */
export function storeShape(path: string): { tables: string[]; migrations: number } {
  const sqlite = new Database(path, { readonly: true });
  try {
    const tables = (
      sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    const { n } = sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
    return { tables, migrations: n };
  } finally {
    sqlite.close();
  }
}
