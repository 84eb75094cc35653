/**
 * The store's identity (table store_identity, made by migration 0008 with 128 random bits): what
 * the agent names its store by when it ships to the hub (docs/FLEET.md): a replaced database has
 * another identity, so the hub knows its event ids start again at 1. A copy of the file (a
 * backup restored) keeps the identity.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export class StoreIdentity {
  private readonly read: Database.Statement<[], { store_id: string }>;
  private readonly write: Database.Statement<[string, number]>;

  constructor(sqlite: Database.Database) {
    this.read = sqlite.prepare('SELECT store_id FROM store_identity WHERE id = 1');
    this.write = sqlite.prepare(
      `INSERT INTO store_identity (id, store_id, created_at) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET store_id = excluded.store_id, created_at = excluded.created_at`,
    );
  }

  /** The current identity (a row exists from the migration on; made here if someone deleted it). */
  get(at: number): string {
    return this.read.get()?.store_id ?? this.make(at);
  }

  private make(at: number): string {
    const id = randomBytes(16).toString('hex');
    this.write.run(id, at);
    return id;
  }
}
