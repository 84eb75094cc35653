/**
 * Escalation during maintenance windows (real engine, store and outbox on a SimulatedClock,
 * a fake PagerDuty at the wire): a window without `notify` suppresses the page, a window with
 * `notify` sends it marked as maintenance; outside windows nothing changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../src/contract/maintenance/active.js';
import { createEscalation, type Escalation } from '../../src/escalation/escalation.js';
import { createLogger } from '../../src/log.js';
import { type Harness, startHarness } from '../api/harness.js';
import { fakeReceiver } from './fake-receiver.js';

let h: Harness;
let esc: Escalation;
let pd: Awaited<ReturnType<typeof fakeReceiver>>;

afterEach(async () => {
  await esc?.stop();
  await h?.close();
  await pd?.close();
});

async function start(window: MaintenanceWindow) {
  h = await startHarness();
  pd = await fakeReceiver();
  esc = createEscalation({
    config: {
      node: 'node-1',
      publicUrl: 'http://medic.test:4000',
      pagerduty: { url: `${pd.url}/v2/enqueue`, routingKey: 'R0UTINGKEY' },
      webhooks: [],
      on: ['circuit_opened', 'hard_stop', 'probe_failed', 'approval_pending'],
      approvalPendingSec: null,
      retry: { maxAttempts: 5, baseMs: 1000, maxMs: 60_000, timeoutMs: 5000 },
    },
    engine: h.engine,
    store: h.store,
    clock: h.clock,
    logger: createLogger('silent'),
    random: () => 0.5,
  } as Parameters<typeof createEscalation>[0]);
  esc.start();
  h.engine.setMaintenance([window]);
}

async function settle() {
  for (let i = 0; i < 20; i++) {
    h.clock.advance(0);
    await esc.worker.idle();
    await new Promise((r) => setTimeout(r, 5));
  }
}

const win = (notify: boolean): MaintenanceWindow => ({
  id: 'contract:nightly',
  name: 'nightly',
  services: ['api'],
  mode: 'hold',
  notify,
  reason: null,
  when: { kind: 'fixed', from: Date.UTC(2025, 11, 31), until: Date.UTC(2026, 0, 2) },
});

describe('escalation in a maintenance window', () => {
  it('is suppressed by a window without notify (other services still page)', async () => {
    await start(win(false));
    await h.engine.submit('api', { type: 'exited', code: 78 }); // circuit opens: would page
    await settle();
    expect(pd.received.map((r) => (r.body.payload as { summary: string }).summary)).toEqual([]);
    await h.engine.submit('worker', { type: 'exited', code: 78 });
    await settle();
    expect(pd.received.map((r) => (r.body.payload as { component: string }).component)).toEqual(['worker']);
  });

  it('is sent marked as maintenance by a window with notify', async () => {
    await start(win(true));
    await h.engine.submit('api', { type: 'exited', code: 78 });
    await settle();
    expect(pd.received).toHaveLength(1);
    expect(String((pd.received[0].body.payload as { summary: string }).summary)).toMatch(
      /^\[maintenance nightly, hold\] medic gave up on api/,
    );
  });
});
