/**
 * Token lookups and `last_used_at` touches, group-committed (issue 16's lease latency): when a
 * storm starts, a thousand agents' first budget requests arrive within a moment, each needing its
 * token looked up (auth.ts then caches it) and its use recorded — a thousand queries and a
 * thousand UPDATEs on the hub's pool of 10, ahead of the lease transactions. Here the lookups
 * asked in one turn of an idle replica go at once, in one query, and those that arrive while it
 * runs go together in the next (`hash = ANY(…)`; auth.ts gathers its background refreshes into
 * rounds for the same reason); touches likewise go as one UPDATE per round (stamped with
 * the round's latest time). A revoked or unknown token is null; a touch is best effort.
 */
import { inArray } from 'drizzle-orm';
import { agentTokens } from '../../db/pg/schema.js';
import type { HubTokenRole } from '../core/roles.js';
import type { HubDb } from './db.js';
import type { HubToken } from './tokens.js';

interface Lookup {
  hash: string;
  resolve(token: HubToken | null): void;
  reject(err: unknown): void;
}

export class TokenBatcher {
  private lookups: Lookup[] | null = null;
  private touches: Map<string, number> | null = null;
  /** Queries run and lookups answered through them. */
  readonly stats = { queries: 0, lookups: 0 };

  constructor(private readonly db: HubDb) {}

  /** The live token whose secret hashes to `hash` (sha256 hex), or null. */
  lookup(hash: string): Promise<HubToken | null> {
    return new Promise((resolve, reject) => {
      const item = { hash, resolve, reject };
      if (this.lookups) return void this.lookups.push(item);
      const queue = [item];
      this.lookups = queue;
      // After the current task: lookups asked in the same turn (a round of refreshes, a burst of
      // first requests) go in this first query too.
      queueMicrotask(() => void this.drainLookups(queue));
    });
  }

  /** Records that token `name` was used at `now` (best effort, in the background). */
  touch(name: string, now: number): void {
    if (this.touches) return void this.touches.set(name, now);
    this.touches = new Map([[name, now]]);
    void this.drainTouches(this.touches);
  }

  private async drainLookups(queue: Lookup[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, 1000);
      try {
        // Plain SQL, the hashes as one array: one statement text whatever the batch's size
        // (drizzle's `IN ($1, …)` was another statement to parse and plan per size, and its
        // builder was a tenth of the hub's profile while agents' entries were refreshed).
        const { rows } = await this.db.$client.query<{
          name: string;
          role: string;
          node: string | null;
          hash: string;
        }>({
          text: 'SELECT name, role, node, hash FROM agent_tokens WHERE hash = ANY($1::text[]) AND revoked_at IS NULL',
          values: [[...new Set(batch.map((l) => l.hash))]],
        });
        this.stats.queries++;
        this.stats.lookups += batch.length;
        const found = new Map(
          rows.map((r) => [r.hash, { name: r.name, role: r.role as HubTokenRole, node: r.node }]),
        );
        for (const l of batch) l.resolve(found.get(l.hash) ?? null);
      } catch (err) {
        for (const l of batch) l.reject(err);
      }
    }
    this.lookups = null;
  }

  private async drainTouches(pending: Map<string, number>): Promise<void> {
    while (pending.size > 0) {
      const names = [...pending.keys()].slice(0, 1000);
      const now = Math.max(...names.map((n) => pending.get(n)!));
      for (const n of names) pending.delete(n);
      await this.db
        .update(agentTokens)
        .set({ lastUsedAt: now })
        .where(inArray(agentTokens.name, names))
        .catch(() => {});
    }
    this.touches = null;
  }
}
