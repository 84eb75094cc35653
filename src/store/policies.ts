/** Policy versions: every applied policy set, numbered 1, 2, ...; at most one is active. */
import { desc, eq, sql } from 'drizzle-orm';
import { policyVersions } from '../../db/schema.js';
import type { Drizzle } from './db.js';
import { StoreError } from './errors.js';
import type { NewPolicyVersion, PolicyVersion } from './types.js';

type Row = typeof policyVersions.$inferSelect;

// Take the write lock up front: a deferred read-then-write can fail with SQLITE_BUSY.
const IMMEDIATE = { behavior: 'immediate' } as const;

const toVersion = (r: Row): PolicyVersion => ({
  version: r.version,
  hash: r.hash,
  content: r.content as Record<string, unknown>,
  author: r.author,
  reason: r.reason,
  createdAt: r.createdAt,
  active: r.active,
});

export class PolicyVersions {
  constructor(private readonly orm: Drizzle) {}

  insert(v: NewPolicyVersion): PolicyVersion {
    return this.orm.transaction((tx) => {
      const max = tx
        .select({ n: sql<number>`coalesce(max(${policyVersions.version}), 0)` })
        .from(policyVersions)
        .get();
      const row = tx
        .insert(policyVersions)
        .values({ ...v, version: (max?.n ?? 0) + 1, active: false })
        .returning()
        .get();
      return toVersion(row);
    }, IMMEDIATE);
  }

  activate(version: number): PolicyVersion {
    return this.orm.transaction((tx) => {
      if (!tx.select().from(policyVersions).where(eq(policyVersions.version, version)).get()) {
        throw new StoreError('NOT_FOUND', `policy version ${version} does not exist`);
      }
      // Deactivate first: a partial unique index allows only one active row.
      tx.update(policyVersions).set({ active: false }).where(eq(policyVersions.active, true)).run();
      const row = tx
        .update(policyVersions)
        .set({ active: true })
        .where(eq(policyVersions.version, version))
        .returning()
        .get();
      return toVersion(row!);
    }, IMMEDIATE);
  }

  active(): PolicyVersion | null {
    const row = this.orm.select().from(policyVersions).where(eq(policyVersions.active, true)).get();
    return row ? toVersion(row) : null;
  }

  list(): PolicyVersion[] {
    return this.orm.select().from(policyVersions).orderBy(desc(policyVersions.version)).all().map(toVersion);
  }

  get(version: number): PolicyVersion | null {
    const row = this.orm.select().from(policyVersions).where(eq(policyVersions.version, version)).get();
    return row ? toVersion(row) : null;
  }
}
