/**
 * Upgrades: a store written by an earlier release (only its migrations applied) is migrated
 * when a newer medic opens it; its tokens and audit events survive.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/api/http/auth.js';
import { MIGRATIONS_DIR } from '../../src/store/db.js';
import { openStore } from '../../src/store/sqlite.js';
import { makeOldStore, OLD_TOKEN, storeShape } from '../helpers/old-store.js';

const journal = JSON.parse(await readFile(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
  entries: unknown[];
};
const latest = journal.entries.length;

describe('store upgrade from an earlier release', () => {
  it.each(Array.from({ length: latest - 1 }, (_, i) => i + 1))(
    'a store with the first %i migration(s) is migrated on open, its records kept',
    async (upTo) => {
      const path = join(await mkdtemp(join(tmpdir(), 'medic-upgrade-')), 'old.db');
      await makeOldStore(path, upTo);
      expect(storeShape(path).migrations).toBe(upTo);
      const store = openStore(path);
      try {
        expect(store.listTokens().map((t) => [t.name, t.role])).toEqual([['old-admin', 'admin']]);
        expect(store.findTokenByHash(hashToken(OLD_TOKEN))?.name).toBe('old-admin');
        expect(store.listEvents({ order: 'asc' }).events.map((e) => e.reason)).toEqual([
          'before the upgrade',
        ]);
      } finally {
        store.close();
      }
      const shape = storeShape(path);
      expect(shape.migrations).toBe(latest);
      expect(shape.tables).toContain('slack_incidents');
    },
  );
});
