/**
 * `/medic maintenance` through a real signed slash command (fake Slack at the wire): the bot
 * schedules, lists and cancels windows over GraphQL as the Slack user (operator role, audited
 * with `slack:<user>`); a viewer is refused. During a window without `notify`, a refused restart
 * opens no incident; after the window the service's policy speaks as usual.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, OPERATOR, openCircuit, send, settle, startHarness, VIEWER } from './harness.js';
import { FORM, slashCommand } from './slack-requests.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function command(user: string, text: string, id: string) {
  const res = await send(h, slashCommand(h.who(user), text, h.fake.responseUrl(id)), FORM);
  expect(res.status).toBe(200);
  const reply = await h.fake.waitFor(() => h.fake.responded.find((r) => r.id === id));
  await settle(h);
  return String(reply.body.text);
}

const parents = () => h.fake.of('chat.postMessage').filter((c) => !c.args.thread_ts);

describe('/medic maintenance', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('schedules a hold window for 2h as the Slack user; a crash opens no incident; cancel hands the service back', async () => {
    const reply = await command(OPERATOR, 'maintenance 2h services=api upgrading postgres', 'm1');
    expect(reply).toContain('Maintenance window `adhoc:1` (hold) for api until 2026-01-01T02:00:00.000Z');
    const audit = h.store.listEvents({ kinds: ['maintenance_scheduled'] }).events;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: `slack:${OPERATOR}`, reason: 'upgrading postgres' });
    expect(h.engine.view('api')?.maintenance).toMatchObject({ name: 'adhoc-1', mode: 'hold' });

    const before = parents().length;
    const d = await h.engine.submit('api', { type: 'exited', code: 1 }, { source: 'process' });
    expect(d.decision.decision).toBe('skip_maintenance');
    await settle(h);
    expect(parents().length).toBe(before); // expected during the window: no incident
    expect(h.restarts).toHaveLength(0);

    const list = await command(OPERATOR, 'maintenance list', 'm2');
    expect(list).toMatch(/`adhoc:1` \*hold\* now for api: /);

    const cancel = await command(OPERATOR, 'maintenance cancel adhoc:1 done', 'm3');
    expect(cancel).toContain('Maintenance window `adhoc:1` cancelled');
    await h.engine.idle();
    expect(h.restarts.map((r) => r.service)).toEqual(['api']);
    expect(h.store.listEvents({ kinds: ['maintenance_cancelled'] }).events[0]).toMatchObject({
      actor: `slack:${OPERATOR}`,
      reason: 'done',
    });
  });

  it('a circuit opened during a window without notify opens no incident (nor its approval request)', async () => {
    await command(OPERATOR, 'maintenance 1h migrating', 'w1');
    const before = parents().length;
    await openCircuit(h);
    await settle(h);
    expect(h.engine.view('api')?.state.tag).toBe('circuit_open');
    expect(parents().length).toBe(before);
  });

  it('`notify` schedules a window whose incidents are opened, marked as maintenance', async () => {
    const reply = await command(OPERATOR, 'maintenance 1h notify migrating', 'n1');
    expect(reply).toContain('Maintenance window `adhoc:1` (hold, notify) for all services');
    expect(reply).toContain('Incidents and escalations during it are sent, marked as maintenance.');
    expect(h.store.listMaintenance(h.clock.now())[0]).toMatchObject({ notify: true, reason: 'migrating' });
    const before = parents().length;
    await openCircuit(h);
    await settle(h);
    expect(h.engine.view('api')?.state.tag).toBe('circuit_open');
    const opened = parents().slice(before);
    expect(opened).toHaveLength(1);
    expect(JSON.stringify(opened[0]!.args)).toContain('During maintenance window adhoc-1 (hold)');
  });

  it('refuses a viewer and explains the usage', async () => {
    const denied = await command(VIEWER, 'maintenance 1h', 'v1');
    expect(denied).toContain('scheduleMaintenance needs role operator');
    expect(h.store.listMaintenance(h.clock.now())).toEqual([]);
    const usage = await command(OPERATOR, 'maintenance soon', 'v2');
    expect(usage).toContain('Usage: `/medic maintenance <duration e.g. 2h>');
  });
});
