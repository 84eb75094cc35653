/**
 * Durable memory of handled Slack requests (the bot's replay guard, bot/replay.ts): `claim`
 * records every key of one request in one transaction and answers `seen` when any of them is
 * already remembered and not expired. Rows live until `expires_at` (past the signature window),
 * so a replay is recognised after a restart too. Expired rows are deleted on the way.
 */
import type Database from 'better-sqlite3';

export type ReplayVerdict = 'new' | 'seen';

export class ReplayMemory {
  private readonly seenStmt: Database.Statement<[string, number]>;
  private readonly insertStmt: Database.Statement<[string, number]>;
  private readonly pruneStmt: Database.Statement<[number]>;
  private readonly claimTx: (keys: string[], expiresAt: number, now: number) => ReplayVerdict;

  constructor(sqlite: Database.Database) {
    this.seenStmt = sqlite.prepare('SELECT 1 FROM slack_replays WHERE key = ? AND expires_at > ?');
    this.insertStmt = sqlite.prepare(
      `INSERT INTO slack_replays (key, expires_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
    );
    this.pruneStmt = sqlite.prepare('DELETE FROM slack_replays WHERE expires_at <= ?');
    const tx = sqlite.transaction((keys: string[], expiresAt: number, now: number): ReplayVerdict => {
      this.pruneStmt.run(now);
      const seen = keys.some((k) => this.seenStmt.get(k, now) !== undefined);
      // A retry (new signature, same delivery) also remembers its own signature: replaying the
      // retry is then recognised by either key.
      for (const k of keys) this.insertStmt.run(k, expiresAt);
      return seen ? 'seen' : 'new';
    });
    this.claimTx = (keys, expiresAt, now) => tx.immediate(keys, expiresAt, now);
  }

  claim(keys: string[], expiresAt: number, now: number): ReplayVerdict {
    if (keys.length === 0) return 'new';
    return this.claimTx(keys, expiresAt, now);
  }
}
