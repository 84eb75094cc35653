/**
 * The composition root of `medic hub` (issue 15, first slice): PostgreSQL pool → migrations
 * (advisory lock) → metrics → HTTP app → listen. Stateless apart from PostgreSQL: several
 * replicas may run against one database. `close()` stops listening, then ends the pool.
 */

import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import { listen } from '../serve/http.js';
import { createHubApp } from './app.js';
import { type HubDatabase, migrateHub, openHubDatabase } from './db.js';
import { HubMetrics } from './metrics.js';

export interface RunningHub {
  url: string;
  database: HubDatabase;
  close(): Promise<void>;
}

export class HubConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

export async function startHub(opts: { env: Env; logger: Logger; clock?: Clock }): Promise<RunningHub> {
  const { env } = opts;
  const log = opts.logger.child({ component: 'hub' });
  const clock = opts.clock ?? systemClock;
  if (!env.MEDIC_HUB_DATABASE_URL)
    throw new HubConfigError('MEDIC_HUB_DATABASE_URL is required for medic hub');
  const database = openHubDatabase(env.MEDIC_HUB_DATABASE_URL);
  try {
    await migrateHub(database.pool);
    const silenceMs = env.MEDIC_HUB_SILENCE_SEC * 1000;
    const metrics = new HubMetrics(database.db, clock, silenceMs);
    const handler = createHubApp({ database, clock, metrics, logger: log, silenceMs });
    const http = await listen(handler, env.MEDIC_HOST, env.MEDIC_PORT);
    log.info({ url: http.url }, `medic hub serving on ${http.url}`);
    return {
      url: http.url,
      database,
      async close() {
        await http.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
