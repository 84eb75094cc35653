/**
 * The hub's escalation outbox against a real PostgreSQL and a fake PagerDuty at the wire (in
 * process, real clock): 429 + Retry-After respected, the bound gives up with one audited
 * `escalation_failed`, a resolve never overtakes its trigger, silences from before paging was
 * configured are not paged, outcomes reach `medic_escalations_total`, and a node that goes dark
 * while all its services are inside a maintenance window pages nothing (or marked, with notify).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetServices, nodes } from '../../db/pg/schema.js';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { DEFAULT_RETRY } from '../../src/escalation/backoff.js';
import type { EscalationConfig } from '../../src/escalation/config.js';
import { settlement } from '../../src/escalation/deliver.js';
import { type HubDatabase, migrateHub, openHubDatabase } from '../../src/hub/db.js';
import { HubEscalation, hubEscalationConfig } from '../../src/hub/escalation.js';
import { listHubEvents, recordHubEvent } from '../../src/hub/events.js';
import { sweepLiveness } from '../../src/hub/liveness.js';
import { createLogger } from '../../src/log.js';
import { fakeReceiver } from '../escalation/fake-receiver.js';
import { waitFor } from '../helpers/systemd.js';
import { freshDatabase, skipPg } from './pg.js';

const config = (url: string, maxAttempts = 8): EscalationConfig => ({
  node: 'hub',
  publicUrl: 'http://hub.example',
  pagerduty: { url, routingKey: 'rk' },
  webhooks: [],
  on: [],
  approvalPendingSec: null,
  retry: { ...DEFAULT_RETRY, baseMs: 100, maxAttempts, timeoutMs: 5000 },
});

const down = (node: string, at: number) => ({
  at,
  kind: 'node_down' as const,
  node,
  service: null,
  actor: null,
  data: { silentForMs: 31_000, lastSeenAt: at - 31_000 },
});
const up = (node: string, downSince: number, at: number) => ({
  at,
  kind: 'node_up' as const,
  node,
  service: null,
  actor: null,
  data: { downSince, downForMs: at - downSince },
});

describe('hub escalation configuration (the one env schema)', () => {
  it('needs the webhook URL and secret together, reads the routing key from the environment', () => {
    expect(() => loadEnv({ MEDIC_HUB_WEBHOOK_URL: 'http://127.0.0.1:9/hook' })).toThrow(
      /MEDIC_HUB_WEBHOOK_SECRET: required when MEDIC_HUB_WEBHOOK_URL is set/,
    );
    expect(() => loadEnv({ MEDIC_HUB_WEBHOOK_SECRET: 'secret-123' })).toThrow(
      /MEDIC_HUB_WEBHOOK_URL: required/,
    );
    expect(hubEscalationConfig(loadEnv({}), 'http://hub')).toBeNull();
    const c = hubEscalationConfig(
      loadEnv({ MEDIC_HUB_PAGERDUTY_ROUTING_KEY: 'rk', MEDIC_PAGERDUTY_URL: 'http://127.0.0.1:9/pd' }),
      'http://hub',
    );
    expect(c).toMatchObject({ pagerduty: { url: 'http://127.0.0.1:9/pd', routingKey: 'rk' }, webhooks: [] });
  });
});

describe('settlement (the outbox rule shared by agent and hub)', () => {
  it('retries only below the bound, never earlier than Retry-After, and counts every attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 10 }),
        fc.option(fc.integer({ min: 0, max: 3600 })),
        fc.constantFrom(429, 500, 503, null),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (prior, max, retryAfter, status, random) => {
          const now = 1_000_000;
          const s = settlement(
            prior,
            {
              kind: 'retry',
              status,
              retryAfter: retryAfter === null ? null : String(retryAfter),
              error: 'x',
            },
            { ...DEFAULT_RETRY, maxAttempts: max },
            now,
            random,
          );
          expect(s.attempts).toBe(prior + 1);
          if (prior + 1 >= max) {
            expect(s.kind).toBe('failed');
          } else if (s.kind !== 'retry') {
            throw new Error(`expected a retry below the bound, got ${s.kind}`);
          } else {
            expect(s.nextAt).toBeGreaterThanOrEqual(now + (retryAfter ?? 0) * 1000);
            expect(s.outcome).toBe(status === 429 ? 'rate_limited' : 'retried');
          }
        },
      ),
    );
  });
});

describe.skipIf(skipPg)('hub escalation outbox (real PostgreSQL)', () => {
  let database: HubDatabase;
  const logger = createLogger('silent');
  const bus = { onHubEvent: () => () => {} };
  beforeAll(async () => {
    database = openHubDatabase(await freshDatabase());
    await migrateHub(database.pool);
  });
  afterAll(async () => {
    await database?.close();
  });

  async function run(url: string, maxAttempts?: number) {
    const outcomes: string[] = [];
    const esc = new HubEscalation({
      db: database.db,
      bus,
      config: config(url, maxAttempts),
      clock: systemClock,
      logger,
      pollMs: 50,
      onOutcome: (t, o) => outcomes.push(`${t}:${o}`),
    });
    await esc.start();
    return { esc, outcomes };
  }

  it('does not page silences recorded before paging was first configured', async () => {
    const pd = await fakeReceiver();
    await recordHubEvent(database.db, down('old-node', Date.now()));
    const { esc } = await run(pd.url);
    try {
      await new Promise((r) => setTimeout(r, 400));
      expect(pd.received).toHaveLength(0);
    } finally {
      await esc.stop();
      await pd.close();
    }
  });

  it('honours 429 + Retry-After, then delivers once', async () => {
    const pd = await fakeReceiver();
    pd.answer({ status: 429, headers: { 'retry-after': '1' }, body: '{"status":"throttle"}' });
    const { esc, outcomes } = await run(pd.url);
    const times: number[] = [];
    const base = pd.received.length;
    try {
      const at = Date.now();
      await recordHubEvent(database.db, down('n429', at));
      esc.kick();
      await waitFor(() => pd.received.length >= base + 2, 10_000, 20);
      times.push(Date.now());
      await waitFor(() => outcomes.includes('pagerduty:delivered'), 5000, 20);
      expect(outcomes).toEqual(['pagerduty:rate_limited', 'pagerduty:delivered']);
      const [first, second] = pd.received.slice(base);
      expect(first!.body.dedup_key).toBe(`medic-hub/node/n429/${at}`);
      expect(second!.body.dedup_key).toBe(first!.body.dedup_key);
      const sent = await listHubEvents(database.db, { first: 10, node: 'n429', kinds: ['escalation_sent'] });
      expect(sent).toHaveLength(1);
      expect(sent[0]!.data).toMatchObject({ target: 'pagerduty', action: 'trigger', attempts: 2 });
    } finally {
      await esc.stop();
      await pd.close();
    }
  });

  it('gives up after the bound with one escalation_failed; the resolve waits for its trigger', async () => {
    const pd = await fakeReceiver();
    pd.answer({ status: 503 }, { status: 503 });
    const { esc, outcomes } = await run(pd.url, 2);
    try {
      const at = Date.now();
      await recordHubEvent(database.db, down('nbound', at));
      await recordHubEvent(database.db, up('nbound', at, at + 10));
      esc.kick();
      await waitFor(() => outcomes.length >= 3, 10_000, 20);
      expect(outcomes).toEqual(['pagerduty:retried', 'pagerduty:failed', 'pagerduty:delivered']);
      expect(pd.received.map((r) => r.body.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
      const failed = await listHubEvents(database.db, {
        first: 10,
        node: 'nbound',
        kinds: ['escalation_failed'],
      });
      expect(failed).toHaveLength(1);
      expect(String(failed[0]!.data.error)).toMatch(/gave up after 2 attempts: HTTP 503/);
    } finally {
      await esc.stop();
      await pd.close();
    }
  });

  it('pages nothing for a node gone dark inside a maintenance window; with notify, pages it marked', async () => {
    const pd = await fakeReceiver();
    const { esc } = await run(pd.url);
    const base = pd.received.length;
    const now = Date.now();
    const window = (notify: boolean, endsInMs: number) => ({
      id: 'contract:reboot',
      name: 'reboot',
      mode: 'hold',
      endsAt: new Date(now + endsInMs).toISOString(),
      reason: null,
      notify,
    });
    // quiet: both services in a window without notify; told: one window notifies;
    // open: one service is outside any window; over: the window ended before the silence.
    const shipped: Record<string, (ReturnType<typeof window> | null)[]> = {
      quiet: [window(false, 3_600_000), window(false, 7_200_000)],
      told: [window(false, 3_600_000), window(true, 3_600_000)],
      open: [window(false, 3_600_000), null],
      over: [window(false, -1000)],
    };
    try {
      for (const [node, views] of Object.entries(shipped)) {
        await database.db
          .insert(nodes)
          .values({ name: `mw-${node}`, version: 't', firstSeenAt: now - 60_000, lastSeenAt: now - 60_000 });
        for (const [i, maintenance] of views.entries())
          await database.db.insert(fleetServices).values({
            node: `mw-${node}`,
            name: `svc${i}`,
            state: 'healthy',
            view: { name: `svc${i}`, state: { tag: 'healthy' }, maintenance },
            updatedAt: now - 60_000,
          });
      }
      const events = (await sweepLiveness(database.db, now, 30_000)).filter((e) => e.node?.startsWith('mw-'));
      expect(events.map((e) => [e.node, e.data.maintenance ?? null])).toEqual([
        ['mw-open', null],
        ['mw-over', null],
        ['mw-quiet', { id: 'contract:reboot', name: 'reboot', mode: 'hold', notify: false }],
        ['mw-told', { id: 'contract:reboot', name: 'reboot', mode: 'hold', notify: true }],
      ]);
      esc.kick();
      await waitFor(() => pd.received.length >= base + 3, 10_000, 20);
      await new Promise((r) => setTimeout(r, 300)); // nothing else arrives
      const paged = pd.received
        .slice(base)
        .map((r) => r.body as { dedup_key: string; payload: { summary: string } });
      expect(paged.map((r) => r.dedup_key.split('/')[2]).sort()).toEqual(['mw-open', 'mw-over', 'mw-told']);
      const told = paged.find((r) => r.dedup_key.includes('/mw-told/'))!;
      expect(told.payload.summary).toMatch(
        /^\[maintenance reboot, hold\] medic on mw-told stopped reporting/,
      );
    } finally {
      await esc.stop();
      await pd.close();
    }
  });
});
