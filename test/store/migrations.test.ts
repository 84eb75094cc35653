import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/store/db.js';
import { openStore } from '../../src/store/sqlite.js';
import { tempDir, trackStore } from './helpers.js';

const TABLES = [
  'alert_deliveries',
  'alerts_firing',
  'api_tokens',
  'bot_cursors',
  'escalation_episodes',
  'escalation_outbox',
  'events',
  'holds',
  'intents',
  'maintenance_windows',
  'pending_actions',
  'policy_versions',
  'serve_instance',
  'service_state',
  'services',
  'slack_incidents',
  'slack_replays',
  'store_identity',
];

describe('migrations', () => {
  it('creates the directory and applies every committed migration to a fresh file', () => {
    const path = join(tempDir(), 'nested', 'deeper', 'medic.db');
    trackStore(openStore(path)).close();
    expect(existsSync(path)).toBe(true);
    const db = new Database(path, { readonly: true });
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all();
    expect(tables).toEqual(['__drizzle_migrations', ...TABLES]);
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all();
    expect(triggers.sort()).toEqual(['events_no_delete', 'events_no_update']);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('reopening an up-to-date file applies nothing twice and keeps the data', () => {
    const path = join(tempDir(), 'medic.db');
    const first = openStore(path);
    first.createToken('ci', 'viewer', 'a'.repeat(64), 1);
    first.close();
    const second = trackStore(openStore(path));
    expect(second.listTokens().map((t) => t.name)).toEqual(['ci']);
    second.close();
    const db = new Database(path, { readonly: true });
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(db.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(
      journal.entries.length,
    );
    db.close();
  });

  it('sets the durability pragmas on every connection it opens', () => {
    const path = join(tempDir(), 'medic.db');
    const store = trackStore(openStore(path));
    const db = (store as unknown as { sqlite: Database.Database }).sqlite;
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });
});
