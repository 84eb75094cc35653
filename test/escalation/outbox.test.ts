/**
 * Escalation through the durable outbox, in-process (real engine and SQLite store on a
 * SimulatedClock) against a fake PagerDuty and a fake webhook receiver at the wire: one trigger
 * per episode, resolve on recovery, signed webhooks, 429 + Retry-After honoured, the bound
 * (escalation_failed), and a resolve that never overtakes its trigger.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EscalationTrigger } from '../../src/core/escalation.js';
import type { EscalationConfig } from '../../src/escalation/config.js';
import { createEscalation, type Escalation } from '../../src/escalation/escalation.js';
import { verifySignature } from '../../src/escalation/sign.js';
import { type Harness, startHarness } from '../api/harness.js';
import { fakeReceiver } from './fake-receiver.js';

type Fake = Awaited<ReturnType<typeof fakeReceiver>>;
let h: Harness;
let esc: Escalation;
let config: EscalationConfig;
let pd: Fake;
let hook: Fake;
const outcomes: string[] = [];

afterEach(async () => {
  await esc?.stop();
  await h?.close();
  await pd?.close();
  await hook?.close();
  outcomes.length = 0;
});

async function start(
  opts: {
    webhook?: boolean;
    on?: EscalationTrigger[];
    approvalPendingSec?: number;
    maxAttempts?: number;
    /** Decisions committed before escalation starts (as if medic died between commit and plan). */
    before?: (h: Harness) => Promise<void>;
  } = {},
) {
  h = await startHarness();
  await opts.before?.(h);
  pd = await fakeReceiver();
  hook = await fakeReceiver();
  config = {
    node: 'node-1',
    publicUrl: 'http://medic.test:4000',
    pagerduty: { url: `${pd.url}/v2/enqueue`, routingKey: 'R0UTINGKEY' },
    webhooks: opts.webhook ? [{ name: 'ops', url: `${hook.url}/hook`, secret: 'hook-secret' }] : [],
    on: opts.on ?? ['circuit_opened', 'hard_stop', 'probe_failed', 'approval_pending'],
    approvalPendingSec: opts.approvalPendingSec ?? null,
    retry: { maxAttempts: opts.maxAttempts ?? 5, baseMs: 1000, maxMs: 60_000, timeoutMs: 5000 },
  };
  esc = createEscalation({
    config,
    engine: h.engine,
    store: h.store,
    clock: h.clock,
    logger: (await import('../../src/log.js')).createLogger('silent'),
    onOutcome: (target, outcome) => outcomes.push(`${target}:${outcome}`),
    random: () => 0.5,
  } as Parameters<typeof createEscalation>[0]);
  esc.start();
}

/** Lets the planner's and worker's Clock timers and the loopback I/O run. */
async function settle(advanceMs = 0) {
  for (let i = 0; i < 20; i++) {
    h.clock.advance(i === 0 ? advanceMs : 0);
    await esc.worker.idle();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Simulated ms until the outbox's next attempt is due (jumping further would also fire the attempt's timeout). */
const untilNext = () => (h.store.nextEscalationAt() ?? h.clock.now()) - h.clock.now();

const kinds = () => h.store.listEvents({ kinds: ['escalation_sent', 'escalation_failed'] }).events;

describe('escalation outbox', () => {
  it('pages once per episode and resolves with the same dedup_key on recovery; webhooks are signed verifiably', async () => {
    await start({ webhook: true });
    await h.engine.submit('api', { type: 'exited', code: 78 }); // circuit opens (fatal), hard stop
    await settle();
    // More of the same episode: refusals, the hard stop's own event.
    for (let i = 0; i < 3; i++) await h.engine.submit('api', { type: 'exited', code: 1 });
    await settle();
    expect(pd.received.map((r) => r.body.event_action)).toEqual(['trigger']);
    const key = pd.received[0].body.dedup_key as string;
    expect(key).toMatch(/^medic\/node-1\/api\/\d+$/);
    expect(pd.received[0].body).toMatchObject({
      routing_key: 'R0UTINGKEY',
      payload: { severity: 'error', source: 'node-1', component: 'api' },
      links: [
        { href: 'http://medic.test:4000/runbook#action-inspect-and-approve' },
        { href: 'http://medic.test:4000/go/api' },
      ],
    });
    await h.engine.submit('api', { type: 'reset_circuit', actor: 'alice', reason: 'fixed the config' });
    await settle();
    expect(pd.actions()).toEqual([`trigger:${key}`, `resolve:${key}`]);
    // The webhook got the same two messages, each verifiable with the documented algorithm.
    expect(hook.actions()).toEqual([`trigger:${key}`, `resolve:${key}`]);
    for (const r of hook.received) {
      const ok = verifySignature(
        'hook-secret',
        {
          signature: String(r.headers['x-medic-signature']),
          timestamp: String(r.headers['x-medic-request-timestamp']),
        },
        r.raw,
        Math.floor(h.clock.now() / 1000),
      );
      expect(ok).toBe(true);
      expect(
        verifySignature(
          'wrong',
          {
            signature: String(r.headers['x-medic-signature']),
            timestamp: String(r.headers['x-medic-request-timestamp']),
          },
          r.raw,
          Math.floor(h.clock.now() / 1000),
        ),
      ).toBe(false);
    }
    expect(
      kinds()
        .map((e) => `${e.kind}:${e.data?.target}:${e.data?.action}`)
        .sort(),
    ).toEqual([
      'escalation_sent:pagerduty:resolve',
      'escalation_sent:pagerduty:trigger',
      'escalation_sent:webhook:ops:resolve',
      'escalation_sent:webhook:ops:trigger',
    ]);
    // A new episode gets a new key.
    await h.engine.submit('api', { type: 'exited', code: 78 });
    await settle();
    expect(pd.received).toHaveLength(3);
    expect(pd.received[2].body.dedup_key).not.toBe(key);
  });

  it('an event committed before the planner ran (crash between decision and plan) is planned from the cursor on start, once', async () => {
    await start({
      before: async (x) => {
        await x.engine.submit('api', { type: 'exited', code: 78 });
      },
    });
    await settle();
    expect(pd.received.map((r) => r.body.event_action)).toEqual(['trigger']);
    // A second start over the same store (the cursor moved with the plan) plans nothing again.
    await esc.stop();
    esc = createEscalation({
      config,
      engine: h.engine,
      store: h.store,
      clock: h.clock,
      logger: (await import('../../src/log.js')).createLogger('silent'),
    });
    esc.start();
    await settle();
    expect(pd.received).toHaveLength(1);
    expect(h.store.escalationEpisodes().map((e) => e.service)).toEqual(['api']);
  });

  it('honours 429 and Retry-After: no retry before the time it names', async () => {
    await start();
    pd.answer({ status: 429, headers: { 'retry-after': '30' } });
    await h.engine.submit('api', { type: 'exited', code: 78 });
    await settle();
    expect(pd.received).toHaveLength(1);
    await settle(29_000);
    expect(pd.received).toHaveLength(1);
    await settle(1_000);
    expect(pd.received).toHaveLength(2);
    expect(outcomes).toEqual(['pagerduty:rate_limited', 'pagerduty:delivered']);
  });

  it('retries with backoff, then gives up after the bound with an audited escalation_failed; a 400 gives up at once', async () => {
    await start({ maxAttempts: 3 });
    pd.answer({ status: 500 }, { status: 500 }, { status: 500 });
    await h.engine.submit('api', { type: 'exited', code: 78 });
    await settle();
    // Backoff with jitter (random pinned at 0.5): 750 ms, then 1500 ms.
    expect(untilNext()).toBe(750);
    await settle(untilNext());
    expect(untilNext()).toBe(1500);
    await settle(untilNext());
    expect(pd.received).toHaveLength(3);
    expect(h.store.nextEscalationAt()).toBeNull();
    expect(outcomes).toEqual(['pagerduty:retried', 'pagerduty:retried', 'pagerduty:failed']);
    const [failed] = kinds();
    expect(failed).toMatchObject({
      kind: 'escalation_failed',
      service: 'api',
      data: { target: 'pagerduty', attempts: 3 },
    });
    expect(failed.reason).toMatch(/failed after 3 attempt\(s\): gave up after 3 attempts: HTTP 500/);

    // Resolve of that episode: a 400 (PagerDuty: invalid event) is not retried.
    pd.answer({ status: 400, body: '{"status":"invalid event"}' });
    await h.engine.submit('api', { type: 'reset_circuit', actor: 'alice', reason: 'x' });
    await settle();
    expect(pd.received).toHaveLength(4);
    expect(outcomes.at(-1)).toBe('pagerduty:failed');
  });

  it('a resolve never overtakes its trigger: it waits while the trigger is retried', async () => {
    await start();
    pd.answer({ status: 503 });
    await h.engine.submit('api', { type: 'exited', code: 78 });
    await settle();
    await h.engine.submit('api', { type: 'reset_circuit', actor: 'alice', reason: 'x' });
    await settle();
    expect(pd.received.map((r) => r.body.event_action)).toEqual(['trigger']);
    await settle(untilNext());
    expect(pd.received.map((r) => r.body.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
  });

  it('an approval waiting longer than approvalPendingSec opens an episode when nothing else did', async () => {
    await start({ on: ['approval_pending'], approvalPendingSec: 60 });
    await h.engine.submit('api', { type: 'exited', code: 78 });
    await settle(59_000);
    expect(pd.received).toHaveLength(0);
    await settle(1_000);
    expect(pd.received).toHaveLength(1);
    expect(pd.received[0].body).toMatchObject({
      event_action: 'trigger',
      payload: { class: 'approval_pending' },
    });
  });
});
