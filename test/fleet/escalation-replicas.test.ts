import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/escalation/sign.js';
import { fakeReceiver } from '../escalation/fake-receiver.js';
import { hubTokenViaCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { medicChild } from '../watchdog/helpers.js';
import { batch, ship } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';

type Child = ReturnType<typeof medicChild>;

const token = hubTokenViaCli;

const urlOf = (h: Child) => /medic hub serving on (http:\/\/[0-9.:]+)/.exec(h.output())?.[1];

async function sqlRows<T>(db: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

describe.skipIf(skipPg)('hub escalation of nodes gone dark (real PostgreSQL, real replicas)', () => {
  const children: Child[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  const hubEnv = (db: string, pd: string, hook: string) => ({
    MEDIC_HUB_DATABASE_URL: db,
    MEDIC_HOST: '127.0.0.1',
    MEDIC_PORT: '0',
    LOG_LEVEL: 'info',
    MEDIC_HUB_SILENCE_SEC: '1',
    MEDIC_HUB_SWEEP_MS: '200',
    MEDIC_PAGERDUTY_URL: `${pd}/v2/enqueue`,
    MEDIC_HUB_PAGERDUTY_ROUTING_KEY: 'hub-routing-key',
    MEDIC_HUB_WEBHOOK_URL: `${hook}/hook`,
    MEDIC_HUB_WEBHOOK_SECRET: 'hub-webhook-secret',
    MEDIC_ESCALATION_RETRY_BASE_MS: '200',
    MEDIC_ESCALATION_TIMEOUT_MS: '60000',
  });

  async function startHubs(n: number, env: Record<string, string>): Promise<Child[]> {
    const hubs = Array.from({ length: n }, () => medicChild(['hub'], env));
    children.push(...hubs);
    await waitFor(() => hubs.every((h) => urlOf(h)), 30_000, 50).catch((err) => {
      throw new Error(`${err.message}\n${hubs.map((h) => h.output()).join('\n---\n')}`);
    });
    return hubs;
  }

  it('two replicas: one trigger per dark node, signed webhooks, resolve with the same key on return', async () => {
    const pd = await fakeReceiver();
    const hook = await fakeReceiver();
    try {
      const db = await freshDatabase();
      const a = await token({ MEDIC_HUB_DATABASE_URL: db }, 'agent-a', 'node-a');
      const b = await token({ MEDIC_HUB_DATABASE_URL: db }, 'agent-b', 'node-b');
      // Slow receivers: a delivery spans several polls of the other replica, which must not
      // send the row it sees in flight.
      pd.slow(1000);
      hook.slow(1000);
      const [one, two] = await startHubs(2, hubEnv(db, pd.url, hook.url));
      // Each node reports once to a different replica, then goes dark.
      expect((await ship(urlOf(one!)!, a, batch('node-a', null))).status).toBe(200);
      expect((await ship(urlOf(two!)!, b, batch('node-b', null))).status).toBe(200);
      const triggers = () => pd.received.filter((r) => r.body.event_action === 'trigger');
      await waitFor(() => triggers().length >= 2 && hook.received.length >= 2, 20_000, 50);

      // node-a comes back (to the other replica): resolve, same key, at PagerDuty and the webhook.
      expect((await ship(urlOf(two!)!, a, batch('node-a', 0))).status).toBe(200);
      const resolves = () => pd.received.filter((r) => r.body.event_action === 'resolve');
      await waitFor(() => resolves().length >= 1, 20_000, 50);
      // Let both replicas run a few more rounds: nothing may be sent twice.
      await new Promise((r) => setTimeout(r, 1500));

      // Per dark episode (dedup key): exactly one trigger request, whatever the number of replicas.
      const keysOf = (node: string) =>
        triggers()
          .filter((r) => (r.body.payload as { source: string }).source === node)
          .map((r) => r.body.dedup_key as string);
      for (const node of ['node-a', 'node-b']) {
        const keys = keysOf(node);
        expect(keys.length).toBeGreaterThanOrEqual(1);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys[0]).toMatch(new RegExp(`^medic-hub/node/${node}/\\d+$`));
      }
      expect(triggers()[0]!.body).toMatchObject({
        routing_key: 'hub-routing-key',
        payload: { severity: 'critical', component: 'medic', class: 'node_down' },
      });
      expect(resolves().map((r) => r.body.dedup_key)).toEqual([keysOf('node-a')[0]]);

      // The webhook: the same steps, each signed so a receiver can verify it.
      for (const r of hook.received) {
        expect(
          verifySignature(
            'hub-webhook-secret',
            {
              signature: String(r.headers['x-medic-signature']),
              timestamp: String(r.headers['x-medic-request-timestamp']),
            },
            r.raw,
            Math.floor(Date.now() / 1000),
          ),
        ).toBe(true);
      }
      const hookSteps = hook.received.map((r) => `${r.body.action}:${r.body.dedupKey}`);
      expect(new Set(hookSteps).size).toBe(hookSteps.length);
      expect(hookSteps).toContain(`resolve:${keysOf('node-a')[0]}`);

      // The hub's audit log: one escalation_sent per request the receivers answered (requests
      // still in flight settle within the slow answer).
      const sent = async () =>
        Number(
          (
            await sqlRows<{ n: string }>(
              db,
              "SELECT count(*) AS n FROM hub_events WHERE kind = 'escalation_sent'",
            )
          )[0]!.n,
        );
      await waitFor(async () => (await sent()) === pd.received.length + hook.received.length, 10_000, 100);

      // medic_escalations_total{target,outcome} at the hub: the replicas' counts add up.
      const viewer = await token({ MEDIC_HUB_DATABASE_URL: db }, 'grafana', null);
      let delivered = 0;
      for (const h of [one!, two!]) {
        const text = await (
          await fetch(`${urlOf(h)}/metrics`, { headers: { authorization: `Bearer ${viewer}` } })
        ).text();
        const m = /medic_escalations_total\{target="pagerduty",outcome="delivered"\} (\d+)/.exec(text);
        delivered += Number(m?.[1] ?? 0);
      }
      expect(delivered).toBe(pd.received.length);
    } finally {
      await pd.close();
      await hook.close();
    }
  }, 90_000);

  it('a replica killed while PagerDuty holds its trigger: the other delivers it, one trigger by dedup_key', async () => {
    const pd = await fakeReceiver();
    const hook = await fakeReceiver();
    try {
      const db = await freshDatabase();
      const a = await token({ MEDIC_HUB_DATABASE_URL: db }, 'agent-a', 'node-a');
      const env = {
        ...hubEnv(db, pd.url, hook.url),
        MEDIC_HUB_WEBHOOK_URL: '',
        MEDIC_HUB_WEBHOOK_SECRET: '',
      };
      pd.hold(true);
      const [first] = await startHubs(1, env);
      expect((await ship(urlOf(first!)!, a, batch('node-a', null))).status).toBe(200);
      await waitFor(() => pd.received.length === 1, 20_000, 50);
      // The only replica is mid-delivery (its row locked): start a second, then kill the first.
      const [second] = await startHubs(1, env);
      // Answer again from now on (the held request stays unanswered until its client dies).
      pd.hold(false);
      first!.kill('SIGKILL');
      await new Promise<void>((r) =>
        first!.exitCode !== null || first!.signalCode ? r() : first!.once('exit', () => r()),
      );
      await waitFor(() => second!.output().includes('escalation trigger delivered to pagerduty'), 20_000, 50);

      const triggers = pd.received.filter((r) => r.body.event_action === 'trigger');
      expect(triggers.length).toBeGreaterThanOrEqual(2); // the held one and the redelivery
      expect(new Set(triggers.map((r) => r.body.dedup_key)).size).toBe(1);
      const sent = await sqlRows<{ data: { dedupKey: string; attempts: number } }>(
        db,
        "SELECT data FROM hub_events WHERE kind = 'escalation_sent'",
      );
      expect(sent).toHaveLength(1);
      expect(sent[0]!.data.dedupKey).toBe(triggers[0]!.body.dedup_key);
      // The killed replica's attempt rolled back with its session: the survivor's is attempt 1.
      expect(sent[0]!.data.attempts).toBe(1);
    } finally {
      await pd.close();
      await hook.close();
    }
  }, 90_000);
});
