/**
 * Figures for "a service down 1 hour with the circuit open and 1 s probes" (issue 12), in
 * simulated time: the real engine, SQLite store (a file), API and Slack bot against the fake
 * Slack Web API (test/bot), default policy (openSec 900, hardStop on) and, second, the same
 * with hardStop off (refusals instead of expected failures). Prints audit events written, log
 * lines (the engine writes one per published event), Slack Web API calls by method and the
 * database growth (main file + WAL). Run: npx tsx bench/incident-hour.ts
 */
import Database from 'better-sqlite3';
import { openCircuit, settle, startHarness } from '../test/bot/harness.js';

/** The logical database size (pages, WAL included) as a second connection sees it. */
function size(path: string): number {
  const db = new Database(path, { readonly: true });
  const pages = db.pragma('page_count', { simple: true }) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  return pages * pageSize;
}

/** The size of a fresh harness DB with the circuit just opened (the baseline). */
async function baseline(): Promise<number> {
  const h = await startHarness({ postIntervalMs: 0 });
  await openCircuit(h);
  await settle(h);
  const bytes = size(h.store.path);
  await h.close();
  return bytes;
}

async function hour(label: string, hardStop: boolean): Promise<void> {
  // As in production: parent updates coalesced to one per 10 s, on the simulated clock.
  const h = await startHarness({ postIntervalMs: 0, updateIntervalMs: 10_000 });
  if (!hardStop) {
    const policy = {
      ...h.engine.services.get('api')!.policy,
      circuit: { ...h.engine.services.get('api')!.policy.circuit, hardStop: false },
    };
    h.engine.setPolicy('api', policy);
  }
  await openCircuit(h);
  await settle(h);
  const db = h.store.path;
  const first = h.store.listEvents({ order: 'desc', first: 1 }).events[0].id;
  const calls0 = h.fake.calls.length;
  const size0 = await baseline();
  let published = 0;
  const off = h.engine.subscribe(() => published++);
  for (let s = 1; s <= 3600; s++) {
    h.clock.advance(1000);
    await h.engine.submit('api', { type: 'probe_failed', detail: 'connection refused' }, { source: 'probe' });
    if (s % 60 === 0) await settle(h, 30_000);
  }
  await settle(h, 30_000);
  off();
  const last = h.store.listEvents({ order: 'desc', first: 1 }).events[0].id;
  const byMethod: Record<string, number> = {};
  for (const c of h.fake.calls.slice(calls0)) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  const v = h.engine.view('api')!;
  console.log(
    JSON.stringify({
      label,
      auditEvents: last - first,
      logLines: published,
      slackCalls: h.fake.calls.length - calls0,
      byMethod,
      dbGrowthBytes: size(db) - size0,
      blockedAttempts: v.churn.blockedAttempts,
      circuitOpens: v.churn.circuitOpens,
      state: v.state.tag,
    }),
  );
  await h.close();
}

await hour('default policy (hardStop on)', true);
await hour('hardStop off', false);
