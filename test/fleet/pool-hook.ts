/**
 * A HubDb whose pool's `query` (the lease path's statements: the optimistic way's reads and writes,
 * not the locked way's transaction, which runs on a client of its own) first awaits
 * `before(n, text)`, n counting from 0 — to hold a statement (budget-optimistic.test.ts) or
 * count them (budget-skip-read.test.ts).
 */
import type { HubDb } from '../../src/hub/db.js';

export function hookPool(db: HubDb, before: (n: number, text: string) => Promise<void> | void): HubDb {
  let n = 0;
  const pool = new Proxy(db.$client, {
    get(target, key) {
      if (key === 'query')
        return async (q: { text: string; values: unknown[] }) => {
          await before(n++, q.text);
          return target.query(q);
        };
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return new Proxy(db, {
    get(target, key) {
      if (key === '$client') return pool;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
